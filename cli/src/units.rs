//! Parsing of SIZE (`64MiB`, `512KiB`, `1048576`) and DURATION (`200ms`,
//! `2s`) arguments.

use std::time::Duration;

/// Splits `64MiB` into the number and the unit after it; `None` when there
/// is no leading number (or it does not fit a `u64`).
fn number_and_unit(text: &str) -> Option<(u64, &str)> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    Some((digits.parse().ok()?, unit.trim()))
}

/// Parses a byte size: a whole number with an optional suffix `B`, `KiB`,
/// `MiB` or `GiB`.
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (number, unit) = number_and_unit(text)
        .ok_or_else(|| format!("`{text}` is not a size: expected e.g. 64MiB, 512KiB or 1048576"))?;
    let multiplier: u64 = match unit {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}`: write a byte count or use KiB, MiB or GiB (e.g. 64MiB)"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Parses a duration: a number (decimals allowed: `1.5s`) with a suffix
/// `ms` or `s`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: expected e.g. 200ms, 2s or 1.5s"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "" => return Err(format!("`{text}` needs a unit: ms or s (e.g. 200ms)")),
        other => {
            return Err(format!(
                "unknown duration unit `{other}`: use ms or s (e.g. 200ms, 2s)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is too long"))
}

/// A size for a limit that must leave room to run: more than 0.
pub(crate) fn parse_positive_size(text: &str) -> Result<usize, String> {
    match parse_size(text)? {
        0 => Err(nothing_to_run(text)),
        size => Ok(size),
    }
}

/// A duration for a limit that must leave room to run: more than 0.
pub(crate) fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err(nothing_to_run(text)),
        duration => Ok(duration),
    }
}

/// A time step: a finite number of seconds, 0 or more.
pub(crate) fn parse_dt(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(dt) if dt.is_finite() && dt >= 0.0 => Ok(dt),
        _ => Err(format!(
            "`{}` is not a time step: expected seconds, 0 or more (e.g. 0.016)",
            text.trim()
        )),
    }
}

fn nothing_to_run(text: &str) -> String {
    format!(
        "`{}` leaves nothing to run with: give more than 0",
        text.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_binary_units_and_bytes() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("10B"), Ok(10));
    }

    #[test]
    fn bad_sizes_say_what_was_expected() {
        assert!(parse_size("64MB").unwrap_err().contains("KiB, MiB or GiB"));
        assert!(parse_size("MiB").unwrap_err().contains("not a size"));
        assert!(parse_size("-1").unwrap_err().contains("not a size"));
        assert!(parse_size("99999999999999999999GiB").is_err());
    }

    #[test]
    fn durations_in_ms_and_s() {
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0.5ms"), Ok(Duration::from_micros(500)));
        assert!(
            parse_duration("1.2.3s")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(
            parse_duration("99999999999999999999999s")
                .unwrap_err()
                .contains("too long")
        );
        assert!(parse_duration("200").unwrap_err().contains("needs a unit"));
        assert!(
            parse_duration("2h")
                .unwrap_err()
                .contains("unknown duration unit")
        );
    }

    #[test]
    fn limits_must_leave_room_to_run_and_time_steps_be_finite() {
        assert!(
            parse_positive_size("0")
                .unwrap_err()
                .contains("more than 0")
        );
        assert!(
            parse_positive_size("0MiB")
                .unwrap_err()
                .contains("more than 0")
        );
        assert_eq!(parse_positive_size("1KiB"), Ok(1024));
        assert!(
            parse_positive_duration("0ms")
                .unwrap_err()
                .contains("more than 0")
        );
        assert_eq!(parse_positive_duration("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_dt("0.1"), Ok(0.1));
        assert_eq!(parse_dt("0"), Ok(0.0));
        for bad in ["nan", "inf", "-1", "-0.5", "fast"] {
            assert!(
                parse_dt(bad).unwrap_err().contains("not a time step"),
                "{bad}"
            );
        }
    }
}
