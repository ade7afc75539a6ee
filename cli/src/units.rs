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

/// Parses a duration: a whole number with a suffix `ms` or `s`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = number_and_unit(text)
        .ok_or_else(|| format!("`{text}` is not a duration: expected e.g. 200ms or 2s"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        "" => Err(format!("`{text}` needs a unit: ms or s (e.g. 200ms)")),
        other => Err(format!(
            "unknown duration unit `{other}`: use ms or s (e.g. 200ms, 2s)"
        )),
    }
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
        assert!(parse_duration("200").unwrap_err().contains("needs a unit"));
        assert!(
            parse_duration("2h")
                .unwrap_err()
                .contains("unknown duration unit")
        );
    }
}
