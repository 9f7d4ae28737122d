//! WFDB storage formats and their sample decoders.
//!
//! A signal file holds one *stream*: the samples of its signals interleaved frame by frame
//! (`s0[0] s1[0] s0[1] s1[1] ...`). The decoders here turn a slice of that stream into `i16`
//! digital values with no per-sample allocation.

use serde::{Deserialize, Serialize};

/// A WFDB signal storage format (the number in the header's format field).
///
/// Every supported format fits `i16` digital values. Each format reserves one value as WFDB's
/// *invalid sample* marker ([`Format::invalid_sample`]); decoders keep it as is, and physical
/// conversion maps it to `NaN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// Format 16: 16-bit two's complement, little-endian.
    F16,
    /// Format 61: 16-bit two's complement, big-endian.
    F61,
    /// Format 80: 8-bit offset binary (stored byte minus 128).
    F80,
    /// Format 160: 16-bit offset binary, little-endian (stored word minus 32768).
    F160,
    /// Format 212: two 12-bit two's complement samples packed into 3 bytes (MIT-BIH).
    F212,
}

impl Format {
    /// Every supported format.
    pub const ALL: [Format; 5] = [
        Format::F16,
        Format::F61,
        Format::F80,
        Format::F160,
        Format::F212,
    ];

    /// The format for a header's format number, `None` when not supported.
    pub fn from_code(code: u32) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The header's format number (e.g. 212).
    pub fn code(self) -> u32 {
        match self {
            Format::F16 => 16,
            Format::F61 => 61,
            Format::F80 => 80,
            Format::F160 => 160,
            Format::F212 => 212,
        }
    }

    /// WFDB's invalid-sample value: the most negative value the format can hold
    /// (-32768 for 16/61/160, -128 for 80, -2048 for 212).
    pub fn invalid_sample(self) -> i16 {
        match self {
            Format::F16 | Format::F61 | Format::F160 => i16::MIN,
            Format::F80 => -128,
            Format::F212 => -2048,
        }
    }

    /// ADC resolution (bits) WFDB assumes when the header omits it.
    pub fn default_adc_resolution(self) -> u32 {
        match self {
            Format::F80 => 8,
            Format::F160 => 16,
            // WFDB_DEFRES (12) for the others, 16 included.
            Format::F16 | Format::F61 | Format::F212 => 12,
        }
    }

    /// Bytes holding the first `n` samples of a stream (a trailing odd 212 sample needs 2).
    pub(crate) fn stream_bytes(self, n: usize) -> usize {
        match self {
            Format::F80 => n,
            Format::F16 | Format::F61 | Format::F160 => n * 2,
            Format::F212 => n / 2 * 3 + (n % 2) * 2,
        }
    }

    /// Number of whole samples `len` bytes hold.
    pub(crate) fn samples_in(self, len: usize) -> usize {
        match self {
            Format::F80 => len,
            Format::F16 | Format::F61 | Format::F160 => len / 2,
            Format::F212 => len / 3 * 2 + usize::from(len % 3 == 2),
        }
    }

    /// Byte where stream sample `s` starts, and how many samples of that storage unit come
    /// before it (only 212 packs two samples per unit).
    pub(crate) fn locate(self, s: usize) -> (usize, usize) {
        match self {
            Format::F212 => (s / 2 * 3, s % 2),
            _ => (self.stream_bytes(s), 0),
        }
    }
}

#[inline(always)]
fn sext12(v: u16) -> i16 {
    ((v << 4) as i16) >> 4
}

#[inline(always)]
fn f212_pair(c: &[u8]) -> (i16, i16) {
    let (b0, b1, b2) = (u16::from(c[0]), u16::from(c[1]), u16::from(c[2]));
    (
        sext12(b0 | ((b1 & 0x0f) << 8)),
        sext12(b2 | ((b1 & 0xf0) << 4)),
    )
}

/// Decodes `out.len()` stream samples from `bytes`; the first one is sample `skip` of the storage
/// unit at `bytes[0]`. Returns the number of bytes needed when `bytes` is too short.
pub(crate) fn decode_stream(
    format: Format,
    bytes: &[u8],
    skip: usize,
    out: &mut [i16],
) -> Result<(), usize> {
    let need = format.stream_bytes(out.len() + skip);
    if bytes.len() < need {
        return Err(need);
    }
    let bytes = &bytes[..need];
    match format {
        Format::F80 => {
            for (o, &b) in out.iter_mut().zip(bytes) {
                *o = i16::from(b) - 128;
            }
        }
        Format::F16 => words(bytes, out, i16::from_le_bytes),
        Format::F61 => words(bytes, out, i16::from_be_bytes),
        Format::F160 => words(bytes, out, |w| (u16::from_le_bytes(w) ^ 0x8000) as i16),
        Format::F212 => decode_212(bytes, skip, out),
    }
    Ok(())
}

#[inline(always)]
fn words(bytes: &[u8], out: &mut [i16], f: impl Fn([u8; 2]) -> i16) {
    for (o, w) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = f([w[0], w[1]]);
    }
}

/// 212 decoder; `bytes` is exactly `stream_bytes(out.len() + skip)` long.
fn decode_212(bytes: &[u8], skip: usize, out: &mut [i16]) {
    let (mut bytes, mut out) = (bytes, out);
    if skip == 1 {
        let Some((first, rest)) = out.split_first_mut() else {
            return;
        };
        // The unit holds the skipped sample and this one: at least 3 bytes are present.
        if let Some(unit) = bytes.get(..3) {
            *first = f212_pair(unit).1;
        }
        bytes = bytes.get(3..).unwrap_or_default();
        out = rest;
    }
    let mut pairs = out.chunks_exact_mut(2);
    for (p, c) in (&mut pairs).zip(bytes.chunks_exact(3)) {
        let (a, b) = f212_pair(c);
        p[0] = a;
        p[1] = b;
    }
    if let ([last], [b0, b1, ..]) = (
        pairs.into_remainder(),
        bytes.rchunks(2).next().unwrap_or(&[]),
    ) {
        *last = sext12(u16::from(*b0) | ((u16::from(*b1) & 0x0f) << 8));
    }
}

/// Fast path for the MIT-BIH layout: two signals in format 212, one frame per 3 bytes. Refills
/// `a` and `b` with `n` samples each, one pass per signal (faster than one interleaved pass),
/// reusing their capacity and writing each value once.
pub(crate) fn decode_212_two(
    bytes: &[u8],
    n: usize,
    a: &mut Vec<i16>,
    b: &mut Vec<i16>,
) -> Result<(), usize> {
    let Some(frames) = bytes.get(..n * 3) else {
        return Err(n * 3);
    };
    let (frames, _) = frames.as_chunks::<3>();
    a.clear();
    a.extend(
        frames
            .iter()
            .map(|&[b0, b1, _]| sext12(u16::from(b0) | ((u16::from(b1) & 0x0f) << 8))),
    );
    b.clear();
    b.extend(
        frames
            .iter()
            .map(|&[_, b1, b2]| sext12(u16::from(b2) | ((u16::from(b1) & 0xf0) << 4))),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_212(samples: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        for pair in samples.chunks(2) {
            let a = pair[0] as u16 & 0xfff;
            out.push(a as u8);
            match pair.get(1) {
                Some(&b) => {
                    let b = b as u16 & 0xfff;
                    out.push(((a >> 8) | ((b >> 8) << 4)) as u8);
                    out.push(b as u8);
                }
                None => out.push((a >> 8) as u8),
            }
        }
        out
    }

    #[test]
    fn f212_round_trips_extremes_with_every_skip_and_odd_tail() {
        let s: Vec<i16> = vec![-2048, 2047, 0, -1, 1, 1000, -1000];
        let bytes = encode_212(&s);
        assert_eq!(bytes.len(), Format::F212.stream_bytes(s.len()));
        for start in 0..s.len() {
            for end in start..=s.len() {
                let (at, skip) = Format::F212.locate(start);
                let mut out = vec![0; end - start];
                decode_stream(Format::F212, &bytes[at..], skip, &mut out).unwrap();
                assert_eq!(out, s[start..end], "range {start}..{end}");
            }
        }
    }

    #[test]
    fn sixteen_bit_formats_and_80_decode_known_values() {
        let mut out = [0i16; 2];
        decode_stream(Format::F16, &[0x00, 0x80, 0xff, 0x7f], 0, &mut out).unwrap();
        assert_eq!(out, [i16::MIN, i16::MAX]);
        decode_stream(Format::F61, &[0x80, 0x00, 0x7f, 0xff], 0, &mut out).unwrap();
        assert_eq!(out, [i16::MIN, i16::MAX]);
        decode_stream(Format::F160, &[0x00, 0x00, 0x00, 0x80], 0, &mut out).unwrap();
        assert_eq!(out, [i16::MIN, 0]);
        decode_stream(Format::F80, &[0, 255], 0, &mut out).unwrap();
        assert_eq!(out, [-128, 127]);
    }

    #[test]
    fn short_input_reports_bytes_needed() {
        let mut out = [0i16; 3];
        assert_eq!(decode_stream(Format::F212, &[0; 4], 0, &mut out), Err(5));
        assert_eq!(decode_stream(Format::F16, &[0; 5], 0, &mut out), Err(6));
        let (mut a, mut b) = (vec![7], vec![]);
        assert_eq!(decode_212_two(&[0; 5], 2, &mut a, &mut b), Err(6));
        decode_212_two(&[0xff, 0x7f, 0x00, 0x00, 0x80, 0xff], 2, &mut a, &mut b).unwrap();
        assert_eq!((a, b), (vec![-1, 0], vec![0x700, -1793]));
    }

    #[test]
    fn samples_in_inverts_stream_bytes() {
        for f in Format::ALL {
            for n in 0..20 {
                assert_eq!(f.samples_in(f.stream_bytes(n)), n, "{f:?} {n}");
            }
        }
    }
}
