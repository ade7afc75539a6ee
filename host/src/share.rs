//! One call's fuel and time, shared by a script's event and task calls in
//! one tick, so no flood of events or due tasks multiplies the per-call
//! limits: each of those calls runs with what is left of the share.

use std::time::{Duration, Instant};

use crate::budget::{BudgetCut, CallBudget};
use crate::config::Limits;
use crate::error::Limit;

/// What a script's event and task calls have used of one call's budget
/// this tick.
pub(crate) struct TickShare {
    began: Instant,
    fuel_spent: u64,
    fuel: u64,
    timeout: Duration,
}

impl TickShare {
    /// A fresh share of `limits`' fuel and timeout, its clock started now.
    pub(crate) fn new(limits: &Limits) -> Self {
        TickShare {
            began: Instant::now(),
            fuel_spent: 0,
            fuel: limits.fuel,
            timeout: limits.timeout,
        }
    }

    /// Counts the fuel one call used.
    pub(crate) fn charge(&mut self, fuel: u64) {
        self.fuel_spent = self.fuel_spent.saturating_add(fuel);
    }

    /// The budget of the next call: what is left of the share (see
    /// [`CallBudget`]), so no call in the tick gets more than that.
    pub(crate) fn next_call(&self, limits: &Limits) -> CallBudget {
        CallBudget::of(limits).at_most(
            self.fuel.saturating_sub(self.fuel_spent),
            self.timeout.saturating_sub(self.began.elapsed()),
            BudgetCut::TickShare,
        )
    }

    /// The limit the share has used up, if any.
    pub(crate) fn spent(&self) -> Option<Limit> {
        if self.fuel_spent >= self.fuel {
            Some(Limit::Fuel)
        } else if self.began.elapsed() >= self.timeout {
            Some(Limit::Timeout)
        } else {
            None
        }
    }

    /// The budget behind `limit`, for a message.
    pub(crate) fn budget(&self, limit: Limit) -> String {
        match limit {
            Limit::Fuel => format!("{} units of fuel", self.fuel),
            _ => format!("{:?}", self.timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_gets_what_is_left_of_the_share() {
        let limits = Limits::default().with_fuel(1_000);
        let mut share = TickShare::new(&limits);
        assert_eq!(share.next_call(&limits).fuel, 1_000);
        share.charge(700);
        let budget = share.next_call(&limits);
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
        assert_eq!(share.next_call(&limits).fuel, 0);

        // Time too: a share whose time has passed leaves none.
        let quick = Limits::default().max_execution_time_ms(0);
        let share = TickShare::new(&quick);
        assert_eq!(share.next_call(&quick).timeout, Duration::ZERO);
        assert_eq!(share.spent(), Some(Limit::Timeout));
    }
}
