//! EDF+ annotation signals: Time-stamped Annotation Lists (TALs), read as events and as the
//! start time of each data record.
//!
//! A TAL is `+onset[\x15duration]\x14text\x14text...\x14\x00`; an annotation signal holds TALs
//! one after another, then zero bytes up to its end. The first TAL of each data record (in the
//! first annotation signal) keeps time: its first text is empty and its onset is the record's
//! start.

use std::path::Path;

use super::header::edf_error;
use crate::Result;

/// One EDF+ annotation: an event at `onset` seconds from the file's start (its header's start
/// date and time), lasting `duration` seconds when given, described by `text`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EdfAnnotation {
    /// Seconds from the start of the file (may be negative, as EDF+ allows).
    pub onset: f64,
    /// Seconds the event lasts, when the TAL gives a duration.
    pub duration: Option<f64>,
    /// The annotation's text (UTF-8; an invalid byte is read as U+FFFD).
    pub text: String,
}

/// Where an annotation signal's bytes sit, for errors: the file and the offset of its first
/// byte.
pub(super) struct Place<'a> {
    pub path: &'a Path,
    pub offset: usize,
    pub record: usize,
}

impl Place<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> crate::Error {
        let field = format!("annotation signal, data record {}", self.record);
        edf_error(self.path, self.offset + at, field, message)
    }
}

/// The TALs of one data record's annotation signal `bytes`: appends its annotations to `out`
/// and returns the onset of its first TAL when `time_keeping` (the record's start; the TAL's
/// first text must then be empty).
pub(super) fn parse_tals(
    bytes: &[u8],
    place: &Place<'_>,
    time_keeping: bool,
    out: &mut Vec<EdfAnnotation>,
) -> Result<Option<f64>> {
    let mut pos = 0;
    let mut start = None;
    let mut first = true;
    while pos < bytes.len() && bytes[pos] != 0 {
        let tal_at = pos;
        // Onset: up to 0x15 (a duration follows) or 0x14.
        let end = find(bytes, pos, |b| b == 0x14 || b == 0x15)
            .ok_or_else(|| place.error(tal_at, "a TAL's onset is not followed by 0x14 or 0x15"))?;
        let onset = number(&bytes[pos..end], true).ok_or_else(|| {
            place.error(
                pos,
                format!(
                    "onset {} is not +seconds or -seconds",
                    shown(&bytes[pos..end])
                ),
            )
        })?;
        pos = end;
        let mut duration = None;
        if bytes[pos] == 0x15 {
            let d_at = pos + 1;
            let end = find(bytes, d_at, |b| b == 0x14)
                .ok_or_else(|| place.error(d_at, "a TAL's duration is not followed by 0x14"))?;
            let d = number(&bytes[d_at..end], false).ok_or_else(|| {
                let msg = format!(
                    "duration {} is not a number of seconds",
                    shown(&bytes[d_at..end])
                );
                place.error(d_at, msg)
            })?;
            duration = Some(d);
            pos = end;
        }
        // Now at the 0x14 that ends onset (and duration); texts follow, each ended by 0x14,
        // the TAL by a 0x00 right after a 0x14.
        pos += 1;
        let mut texts = 0;
        loop {
            if pos >= bytes.len() {
                return Err(place.error(
                    tal_at,
                    "a TAL runs to the end of the signal without its closing 0x14 0x00",
                ));
            }
            if bytes[pos] == 0 {
                pos += 1;
                break;
            }
            let end = find(bytes, pos, |b| b == 0x14)
                .ok_or_else(|| place.error(pos, "an annotation's text is not ended by 0x14"))?;
            let text = String::from_utf8_lossy(&bytes[pos..end]);
            if first && time_keeping && texts == 0 {
                if !text.is_empty() {
                    let msg = "the first TAL of a data record must keep time (an empty first text)";
                    return Err(place.error(tal_at, msg));
                }
                start = Some(onset);
            } else if !text.is_empty() {
                out.push(EdfAnnotation {
                    onset,
                    duration,
                    text: text.into_owned(),
                });
            }
            texts += 1;
            pos = end + 1;
        }
        if texts == 0 {
            return Err(place.error(tal_at, "a TAL without any text (no 0x14 before its 0x00)"));
        }
        first = false;
    }
    if time_keeping && start.is_none() {
        return Err(place.error(
            0,
            "no time-keeping TAL (every EDF+ data record starts with one)",
        ));
    }
    Ok(start)
}

fn find(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|&b| stop(b))
        .map(|i| from + i)
}

/// `+12.5`, `-3` (signed) or `0.25` (unsigned): digits, at most one point.
fn number(text: &[u8], signed: bool) -> Option<f64> {
    let digits = match signed {
        true => text
            .strip_prefix(b"+")
            .or_else(|| text.strip_prefix(b"-"))?,
        false => text,
    };
    let points = digits.iter().filter(|&&b| b == b'.').count();
    let ok = !digits.is_empty()
        && points <= 1
        && digits.iter().any(u8::is_ascii_digit)
        && digits.iter().all(|&b| b.is_ascii_digit() || b == b'.');
    if !ok {
        return None;
    }
    let v: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Bytes as a quoted, escaped string (at most 40 of them).
fn shown(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(40)];
    format!("{:?}", String::from_utf8_lossy(cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8], time_keeping: bool) -> Result<(Option<f64>, Vec<EdfAnnotation>)> {
        let place = Place {
            path: Path::new("t.edf"),
            offset: 100,
            record: 0,
        };
        let mut out = Vec::new();
        let start = parse_tals(bytes, &place, time_keeping, &mut out)?;
        Ok((start, out))
    }

    #[test]
    fn reads_time_keeping_and_annotations() {
        let bytes = b"+0.5\x14\x14\x00+1\x150.25\x14A\x14B\x14\x00-2\x14C\x14\x00\x00\x00";
        let (start, a) = parse(bytes, true).unwrap();
        assert_eq!(start, Some(0.5));
        let got: Vec<_> = a
            .iter()
            .map(|a| (a.onset, a.duration, a.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1.0, Some(0.25), "A"),
                (1.0, Some(0.25), "B"),
                (-2.0, None, "C")
            ]
        );
    }

    #[test]
    fn damaged_tals_name_their_byte() {
        for (bytes, want) in [
            (&b"+x\x14\x14\x00"[..], "onset"),
            (b"+1\x15-1\x14\x14\x00", "duration"),
            (b"+1\x14\x14", "closing"),
            (b"+1", "0x14 or 0x15"),
            (b"+1\x14A\x14\x00", "keep time"),
            (b"\x00\x00", "time-keeping"),
            (b"+1\x14\x00", "without any text"),
            (b"+1e5\x14\x14\x00", "onset"),
            (b"+.\x14\x14\x00", "onset"),
        ] {
            let err = parse(bytes, true).unwrap_err().to_string();
            assert!(
                err.contains(want) && err.contains("t.edf: byte 1"),
                "{bytes:?}: {err}"
            );
        }
    }
}
