//! What a call may spend, and what host work costs a script: every call
//! into a sandbox gets a [`CallBudget`] of fuel and time, and every host
//! function a script can reach is bounded in time and bytes, and charged to
//! the script's call.
//!
//! Three bounds hold for every host call:
//! - **Fuel.** Host work is charged to the script's fuel, in proportion to
//!   what it does (a base cost per call, bytes copied, entities visited and
//!   names checked). The rates below are time-equivalent: wasm runs about 8
//!   fuel units per nanosecond here, and each rate is at least what the work
//!   costs the host. Fuel runs out in a host call exactly as in wasm: the
//!   call traps with kind `fuel`.
//! - **Time.** Long host work (a query over a large world) checks the call's
//!   deadline as it goes, so a call ends within the script's timeout plus a
//!   small constant even when fuel metering is off.
//! - **Bytes.** Inputs are capped before any work (at most
//!   [`MAX_NAMES_PER_CALL`] names a query; at most [`crossing_cap`] bytes in any
//!   one crossing, enforced by wasmtime before it copies anything), and what
//!   the host keeps for a call is counted in bytes (buffered writes, console
//!   output, the result).

use std::fmt;
use std::time::{Duration, Instant};

use crate::sandbox::config::Limits;
use crate::sandbox::error::Limit;

/// Fuel every host call costs before it does anything (about a crossing).
pub(crate) const FUEL_PER_CALL: u64 = 2_000;
/// Fuel per byte the host copies, checks or parses for the script.
pub(crate) const FUEL_PER_BYTE: u64 = 4;
/// Fuel per entity a query looks at.
pub(crate) const FUEL_PER_ENTITY: u64 = 200;
/// Fuel per component name checked on one entity.
pub(crate) const FUEL_PER_NAME_CHECK: u64 = 100;

/// The most component names one host call may carry: an `ecs.query`
/// (`with` and `without` together, before duplicates are dropped) or an
/// `ecs.spawn`. Longer lists are refused before they are read.
pub(crate) const MAX_NAMES_PER_CALL: usize = 64;

/// How many entities a long host loop visits between two looks at the clock.
pub(crate) const ENTITIES_PER_CLOCK_CHECK: usize = 1_024;

/// The most bytes one crossing (a host call's arguments, or what a call into
/// the guest returns) may carry from the guest to the host: enough for any
/// one value the limits allow, plus room for the call's other arguments.
pub(crate) fn crossing_cap(output_bytes: usize, write_bytes: usize) -> usize {
    output_bytes.max(write_bytes).saturating_add(64 << 10)
}

/// A limit reached by host work on the script's behalf; raised as a trap, so
/// the call ends (and the instance with it) as if wasm had hit the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostLimitReached {
    pub(crate) limit: Limit,
    pub(crate) message: String,
}

impl fmt::Display for HostLimitReached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HostLimitReached {}

/// The budget one host call may spend: the script's fuel left when the call
/// began (`None` when fuel is not metered) and the call's deadline.
#[derive(Debug)]
pub(crate) struct HostWork {
    fuel_left: Option<u64>,
    charged: u64,
    deadline: Instant,
}

impl HostWork {
    /// A budget of `fuel_left` (None: unmetered) until `deadline`.
    pub(crate) fn new(fuel_left: Option<u64>, deadline: Instant) -> Self {
        HostWork {
            fuel_left,
            charged: 0,
            deadline,
        }
    }

    /// A budget that never runs out (for the host's own use of the world
    /// adapter, e.g. fuzzing).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn unlimited() -> Self {
        HostWork::new(None, Instant::now() + std::time::Duration::from_secs(3600))
    }

    /// Charges `units` of fuel; fails once the script's fuel is used up.
    pub(crate) fn charge(&mut self, units: u64) -> Result<(), HostLimitReached> {
        self.charged = self.charged.saturating_add(units);
        match self.fuel_left {
            Some(left) if self.charged > left => Err(HostLimitReached {
                limit: Limit::Fuel,
                message: "used up its fuel in a host call".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Charges for `bytes` bytes of host work.
    pub(crate) fn charge_bytes(&mut self, bytes: usize) -> Result<(), HostLimitReached> {
        self.charge(FUEL_PER_BYTE.saturating_mul(bytes as u64))
    }

    /// Fails once the call's deadline has passed.
    pub(crate) fn check_clock(&self) -> Result<(), HostLimitReached> {
        if Instant::now() > self.deadline {
            return Err(HostLimitReached {
                limit: Limit::Timeout,
                message: "ran past its timeout in a host call".into(),
            });
        }
        Ok(())
    }

    /// The fuel left after what was charged (`None` when unmetered).
    pub(crate) fn fuel_left(&self) -> Option<u64> {
        self.fuel_left.map(|left| left.saturating_sub(self.charged))
    }
}

/// What made a call's budget smaller than its script's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BudgetCut {
    /// What was left this tick of the one call's budget a script's event
    /// and task calls share (see [`TickShare`](crate::wasm::share::TickShare)).
    TickShare,
    /// What was left of a run's wall-time budget.
    RunTime,
}

/// The fuel and time one call into a sandbox gets: the script's limits, or
/// less when the call shares them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CallBudget {
    pub(crate) fuel: u64,
    pub(crate) timeout: Duration,
    fuel_cut: Option<BudgetCut>,
    time_cut: Option<BudgetCut>,
}

impl CallBudget {
    /// A whole call's budget under `limits`.
    pub(crate) fn of(limits: &Limits) -> Self {
        CallBudget {
            fuel: limits.fuel,
            timeout: limits.timeout,
            fuel_cut: None,
            time_cut: None,
        }
    }

    /// At most `fuel` and `timeout`, cut by `cut`.
    pub(crate) fn at_most(mut self, fuel: u64, timeout: Duration, cut: BudgetCut) -> Self {
        if fuel < self.fuel {
            self.fuel = fuel;
            self.fuel_cut = Some(cut);
        }
        if timeout < self.timeout {
            self.timeout = timeout;
            self.time_cut = Some(cut);
        }
        self
    }

    /// Ending by `deadline` at the latest, if there is one.
    pub(crate) fn until(self, deadline: Option<Instant>) -> Self {
        match deadline {
            Some(deadline) => self.at_most(
                u64::MAX,
                deadline.saturating_duration_since(Instant::now()),
                BudgetCut::RunTime,
            ),
            None => self,
        }
    }

    /// The message for a call that used up this budget's fuel.
    pub(crate) fn fuel_message(&self, limits: &Limits) -> String {
        let base = format!("used up the fuel budget of {} units", self.fuel);
        match self.fuel_cut {
            Some(BudgetCut::TickShare) => format!(
                "{base} (what was left this tick of one call's {} units, which its event and \
                 task calls share)",
                limits.fuel
            ),
            Some(BudgetCut::RunTime) | None => base,
        }
    }

    /// The message for a call that ran past this budget's time.
    pub(crate) fn timeout_message(&self, limits: &Limits) -> String {
        let base = format!("ran longer than the timeout of {:?}", self.timeout);
        match self.time_cut {
            Some(BudgetCut::TickShare) => format!(
                "{base} (what was left this tick of one call's {:?}, which its event and task \
                 calls share)",
                limits.timeout
            ),
            Some(BudgetCut::RunTime) => {
                format!("{base} (what was left of the run's wall-time budget)")
            }
            None => base,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn charges_add_up_and_stop_at_the_fuel_left() {
        let mut work = HostWork::new(Some(10_000), Instant::now() + Duration::from_secs(60));
        work.charge(FUEL_PER_CALL).unwrap();
        work.charge_bytes(1_000).unwrap();
        assert_eq!(work.fuel_left(), Some(10_000 - FUEL_PER_CALL - 4_000));
        let error = work.charge_bytes(10_000).unwrap_err();
        assert_eq!(error.limit, Limit::Fuel);
        assert_eq!(work.fuel_left(), Some(0));
    }

    #[test]
    fn unmetered_work_is_bounded_by_the_clock() {
        let mut work = HostWork::new(None, Instant::now() - Duration::from_millis(1));
        work.charge(u64::MAX).unwrap();
        assert_eq!(work.check_clock().unwrap_err().limit, Limit::Timeout);
    }
}
