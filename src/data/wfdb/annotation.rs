//! WFDB annotation files in MIT format (`.atr` and other annotators).
//!
//! The file is a sequence of little-endian 16-bit words: the top 6 bits are a code, the low 10
//! bits data. Codes 1..=49 start an annotation `data` samples after the previous one; pseudo
//! codes then modify it: SKIP (59, a 32-bit interval in the next 4 bytes, high word first),
//! NUM (60), SUB (61), CHN (62) and AUX (63, `data & 0xff` bytes of text, padded to even).
//! A zero word ends the file. `chan` and `num` carry over to the next annotation, `subtype`
//! and `aux` do not, as in WFDB's `getann`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::codes;
use crate::limits::{ReadLimits, exceeded, read_regular};
use crate::{Error, Result};

const SKIP: u16 = 59;
const NUM: u16 = 60;
const SUB: u16 = 61;
const CHN: u16 = 62;
const AUX: u16 = 63;

/// One annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// Absolute sample index.
    pub sample: usize,
    /// Annotation code, 0..=49 (see [`codes`]).
    pub code: u8,
    /// Subtype (e.g. noise level for `~`).
    pub subtype: i8,
    /// Signal the annotation refers to.
    pub chan: u8,
    /// Annotator-defined number.
    pub num: i8,
    /// Auxiliary text (e.g. the rhythm `(AFIB`), up to its first NUL.
    pub aux: Option<String>,
}

impl Annotation {
    /// An annotation of `code` at `sample`, with no subtype, channel, number or text (as
    /// labels made by hand or by another tool are).
    pub fn new(sample: usize, code: u8) -> Self {
        Self {
            sample,
            code,
            subtype: 0,
            chan: 0,
            num: 0,
            aux: None,
        }
    }

    /// WFDB mnemonic of the code (e.g. `N`, `V`, `+`).
    pub fn symbol(&self) -> &'static str {
        codes::symbol(self.code).unwrap_or("[invalid]")
    }

    /// True for a beat annotation (see [`codes::is_beat`]).
    pub fn is_beat(&self) -> bool {
        codes::is_beat(self.code)
    }
}

/// Reads an annotation file (e.g. `mitdb/100.atr`) under the default [`ReadLimits`].
pub fn read_annotations(path: impl AsRef<Path>) -> Result<Vec<Annotation>> {
    read_annotations_with_limits(path, &ReadLimits::default())
}

/// Reads an annotation file: a regular file ([`Error::NotRegularFile`]) of at most
/// `limits.max_annotation_bytes` bytes holding at most `limits.max_annotations` annotations
/// ([`Error::Limit`]). Memory: the file's bytes, then exactly one [`Annotation`] per
/// annotation it holds (counted before anything is allocated for them).
pub fn read_annotations_with_limits(
    path: impl AsRef<Path>,
    limits: &ReadLimits,
) -> Result<Vec<Annotation>> {
    let path = path.as_ref();
    let bytes = read_regular(path, limits.max_annotation_bytes, "max_annotation_bytes")?;
    parse_annotations_with_limits(&bytes, path, limits)
}

/// Parses MIT-format annotation bytes under the default [`ReadLimits`]; `path` only names the
/// file in errors.
///
/// Null annotations (code 0, which WFDB's `putann` writes after a SKIP) are kept. Bytes after
/// the end-of-file word are ignored, as WFDB does; a file without one is corrupt.
pub fn parse_annotations(bytes: &[u8], path: &Path) -> Result<Vec<Annotation>> {
    parse_annotations_with_limits(bytes, path, &ReadLimits::default())
}

/// [`parse_annotations`] under `limits`: a first pass checks the structure and counts the
/// annotations (at most `max_annotations`, else [`Error::Limit`]), the second fills a vector
/// of exactly that many.
pub fn parse_annotations_with_limits(
    bytes: &[u8],
    path: &Path,
    limits: &ReadLimits,
) -> Result<Vec<Annotation>> {
    let count = scan(bytes, path, None)?;
    if count > limits.max_annotations {
        let msg = format!("{count} annotations");
        return Err(exceeded(
            path,
            "max_annotations",
            limits.max_annotations,
            msg,
        ));
    }
    let mut out = Vec::with_capacity(count);
    scan(bytes, path, Some(&mut out))?;
    Ok(out)
}

/// Walks the annotation words; pushes the annotations onto `out` when given. Returns how many
/// annotations the file holds.
fn scan(bytes: &[u8], path: &Path, mut out: Option<&mut Vec<Annotation>>) -> Result<usize> {
    let corrupt = |offset: usize, message: String| Error::Corrupt {
        path: path.to_path_buf(),
        offset: offset as u64,
        message,
    };
    let word = |at: usize| {
        bytes
            .get(at..at.checked_add(2)?)
            .map(|w| u16::from_le_bytes([w[0], w[1]]))
    };
    let (mut pos, mut time, mut count) = (0usize, 0i64, 0usize);
    loop {
        let Some(w) = word(pos) else {
            let msg = "no end-of-file word (two zero bytes): truncated file?";
            return Err(corrupt(pos, msg.into()));
        };
        if w == 0 {
            return Ok(count);
        }
        let (at, code, data) = (pos, w >> 10, w & 0x3ff);
        pos += 2;
        match code {
            SKIP => {
                let (Some(hi), Some(lo)) = (word(pos), word(pos + 2)) else {
                    return Err(corrupt(at, "SKIP without its 4-byte interval".into()));
                };
                time =
                    time.saturating_add(i64::from(((u32::from(hi) << 16) | u32::from(lo)) as i32));
                pos += 4;
            }
            NUM | SUB | CHN | AUX => {
                if count == 0 {
                    return Err(corrupt(
                        at,
                        format!("pseudo-annotation {code} before any annotation"),
                    ));
                }
                let mut text = None;
                if code == AUX {
                    let len = usize::from(data & 0xff);
                    let padded = len.next_multiple_of(2);
                    let Some(aux) = bytes.get(pos..pos + padded) else {
                        let msg = format!("aux string of {len} bytes runs past the end");
                        return Err(corrupt(at, msg));
                    };
                    text = Some(&aux[..len]);
                    pos += padded;
                }
                let Some(ann) = out.as_deref_mut().and_then(|o| o.last_mut()) else {
                    continue;
                };
                match code {
                    NUM => ann.num = data as u8 as i8,
                    SUB => ann.subtype = data as u8 as i8,
                    CHN => ann.chan = data as u8,
                    _ => {
                        let text = text.unwrap_or_default();
                        let text = text.split(|&b| b == 0).next().unwrap_or_default();
                        ann.aux = Some(String::from_utf8_lossy(text).into_owned());
                    }
                }
            }
            c if c > u16::from(codes::ACMAX) => {
                return Err(corrupt(at, format!("invalid annotation code {c}")));
            }
            _ => {
                time = time.saturating_add(i64::from(data));
                let sample = usize::try_from(time)
                    .map_err(|_| corrupt(at, format!("annotation at negative sample {time}")))?;
                count += 1;
                if let Some(out) = out.as_deref_mut() {
                    let (chan, num) = out.last().map_or((0, 0), |a| (a.chan, a.num));
                    out.push(Annotation {
                        sample,
                        code: code as u8,
                        subtype: 0,
                        chan,
                        num,
                        aux: None,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[u16]) -> Vec<u8> {
        ws.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn parse(bytes: &[u8]) -> Result<Vec<Annotation>> {
        parse_annotations(bytes, Path::new("t.atr"))
    }

    #[test]
    fn decodes_every_pseudo_code_and_carries_chan_and_num() {
        let mut b = words(&[
            (1 << 10) | 5,
            (SUB << 10) | 0x3ff,
            (CHN << 10) | 2,
            (NUM << 10) | 7,
        ]);
        b.extend(words(&[(28 << 10) | 10, (AUX << 10) | 5]));
        b.extend(b"(AFIB\0");
        // SKIP of 70000 samples (high word first), then a PVC 3 samples later.
        b.extend(words(&[
            SKIP << 10,
            1,
            (70_000 - 65_536) as u16,
            (5 << 10) | 3,
            0,
        ]));
        let a = parse(&b).unwrap();
        let got: Vec<_> = a
            .iter()
            .map(|a| (a.sample, a.symbol(), a.subtype, a.chan, a.num))
            .collect();
        assert_eq!(
            got,
            [
                (5, "N", -1, 2, 7),
                (15, "+", 0, 2, 7),
                (70018, "V", 0, 2, 7)
            ]
        );
        assert_eq!(a[1].aux.as_deref(), Some("(AFIB"));
        assert_eq!((a[0].aux.clone(), a[2].aux.clone()), (None, None));
    }

    #[test]
    fn negative_skip_and_truncations_are_corrupt_with_offsets() {
        let bad = |b: &[u8]| match parse(b) {
            Err(Error::Corrupt { offset, .. }) => offset,
            other => panic!("expected Corrupt, got {other:?}"),
        };
        assert_eq!(bad(&words(&[SKIP << 10, 0xffff, 0xfff0, 1 << 10, 0])), 6);
        assert_eq!(bad(&words(&[(1 << 10) | 5])), 2);
        assert_eq!(bad(&[0x05, 0x04, 0x00]), 2);
        assert_eq!(bad(&words(&[(1 << 10) | 5, SKIP << 10, 0])), 2);
        assert_eq!(bad(&words(&[(1 << 10) | 5, (AUX << 10) | 9, 0])), 2);
        assert_eq!(bad(&words(&[(CHN << 10) | 1, 0])), 0);
        assert_eq!(bad(&words(&[(50 << 10) | 1, 0])), 0);
    }

    #[test]
    fn empty_file_with_terminator_is_empty_and_trailing_bytes_are_ignored() {
        assert_eq!(parse(&[0, 0, 0xff]).unwrap(), []);
    }
}
