//! Printing what scripts wrote to a terminal.
//!
//! Script output and error text are the script's words: written raw, an
//! escape sequence (`print("\27[2J")`) could clear the user's terminal,
//! move the cursor over earlier lines or fake a result. Plain mode shows
//! every control character but tab and newline escaped the way Lua writes
//! it (`\27`); `--raw` prints the bytes as they are. `--json` output is
//! escaped by JSON itself.

use std::borrow::Cow;
use std::io::Write;

/// `text` with control characters (C0 but tab and newline, DEL, C1) shown as
/// Lua's decimal escapes, unless `raw`.
pub(crate) fn shown(text: &str, raw: bool) -> Cow<'_, str> {
    let escaped = |c: char| c.is_control() && c != '\t' && c != '\n';
    if raw || !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.push('\\');
            out.push_str(&u32::from(c).to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes `lines` to `out`, one per line, escaped unless `raw`; stops at
/// the first failed write and returns it (see [`output_failed`]).
pub(crate) fn write_lines<'a>(
    out: &mut impl Write,
    lines: impl IntoIterator<Item = &'a str>,
    raw: bool,
) -> std::io::Result<()> {
    for line in lines {
        writeln!(out, "{}", shown(line, raw))?;
    }
    Ok(())
}

/// The exit code a failed write to standard output calls for: none when
/// the reader went away (`| head`: not the run's failure), else the failure
/// is said on stderr and the exit code is 2 (a full disk must not pass for
/// a complete output).
pub(crate) fn output_failed(written: std::io::Result<()>) -> Option<u8> {
    match written {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("luabox: cannot write the output: {error}");
            Some(super::exit::USAGE)
        }
        _ => None,
    }
}

/// Says on stderr how many output lines a report did not keep, if any.
pub(crate) fn note_dropped(dropped: u64) {
    if dropped > 0 {
        eprintln!("luabox: {dropped} more lines of output were not kept");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_but_tab_and_newline() {
        assert_eq!(
            shown("\u{1b}[2Jok\tthen\nnext\r", false),
            "\\27[2Jok\tthen\nnext\\13"
        );
        assert_eq!(
            shown("\u{9b}31m\u{7f}", false),
            "\\155".to_string() + "31m\\127"
        );
        assert_eq!(shown("\u{1b}[2J", true), "\u{1b}[2J");
        assert!(matches!(shown("plain é", false), Cow::Borrowed(_)));
    }
}
