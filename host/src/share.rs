//! One call's fuel and time, shared by a script's event and task calls in
//! one tick, so no flood of events or due tasks multiplies the per-call
//! limits.

use std::time::{Duration, Instant};

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
