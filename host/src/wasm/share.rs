//! One call's fuel and time, shared by a script's event and task calls in
//! one tick, so no flood of events or due tasks multiplies the per-call
//! limits: each of those calls runs with what is left of the share.

use std::time::Instant;

use crate::sandbox::config::Limits;
use crate::sandbox::error::Limit;
use crate::wasm::budget::{BudgetCut, CallBudget};

/// What a script's event and task calls have used of one call's budget
/// this tick.
pub(crate) struct TickShare {
    began: Instant,
    fuel_spent: u64,
    /// One whole call's budget: what the calls share.
    whole: CallBudget,
}

impl TickShare {
    /// A fresh share of `limits`' fuel and timeout, its clock started now.
    pub(crate) fn new(limits: &Limits) -> Self {
        TickShare {
            began: Instant::now(),
            fuel_spent: 0,
            whole: CallBudget::of(limits),
        }
    }

    /// Counts the fuel one call used.
    pub(crate) fn charge(&mut self, fuel: u64) {
        self.fuel_spent = self.fuel_spent.saturating_add(fuel);
    }

    /// The budget of the next call: what is left of the share (see
    /// [`CallBudget`]), so no call in the tick gets more than that.
    pub(crate) fn next_call(&self) -> CallBudget {
        self.whole.at_most(
            self.whole.fuel.saturating_sub(self.fuel_spent),
            self.whole.timeout.saturating_sub(self.began.elapsed()),
            BudgetCut::TickShare,
        )
    }

    /// The limit the share has used up, if any.
    pub(crate) fn spent(&self) -> Option<Limit> {
        if self.fuel_spent >= self.whole.fuel {
            Some(Limit::Fuel)
        } else if self.began.elapsed() >= self.whole.timeout {
            Some(Limit::Timeout)
        } else {
            None
        }
    }

    /// The budget behind `limit`, for a message.
    pub(crate) fn budget(&self, limit: Limit) -> String {
        match limit {
            Limit::Fuel => format!("{} units of fuel", self.whole.fuel),
            _ => format!("{:?}", self.whole.timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_call_gets_what_is_left_of_the_share() {
        let limits = Limits::default().with_fuel(1_000);
        let mut share = TickShare::new(&limits);
        assert_eq!(share.next_call().fuel, 1_000);
        share.charge(700);
        let budget = share.next_call();
        assert_eq!(budget.fuel, 300);
        assert!(budget.timeout <= limits.timeout);
        assert!(
            budget
                .fuel_message(&limits)
                .contains("what was left this tick"),
            "{}",
            budget.fuel_message(&limits)
        );
        share.charge(300);
        assert_eq!(share.spent(), Some(Limit::Fuel));
        assert_eq!(share.next_call().fuel, 0);

        // Time too: a share whose time has passed leaves none.
        let quick = Limits::default().with_timeout(std::time::Duration::from_millis(0));
        let share = TickShare::new(&quick);
        assert_eq!(share.next_call().timeout, Duration::ZERO);
        assert_eq!(share.spent(), Some(Limit::Timeout));
    }
}
