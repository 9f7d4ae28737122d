//! Signal file layout: sizes checked against the header, byte spans of sample ranges, and
//! decoding of one file's interleaved signals.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::format::{Format, decode_212_two, decode_stream};
use super::header::{Header, SignalGroup};
use crate::{Error, Result};

pub(super) fn corrupt(path: &Path, offset: u64, message: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        message: message.into(),
    }
}

pub(super) fn usize_of(v: u64, path: &Path) -> Result<usize> {
    usize::try_from(v).map_err(|_| corrupt(path, v, "offset beyond addressable memory"))
}

/// Frames per signal: the header's count, checked against every file's length, or the count
/// the shortest file holds when the header gives none.
pub(super) fn frame_count(
    header: &Header,
    groups: &[SignalGroup],
    lens: &[u64],
    paths: &[PathBuf],
) -> Result<usize> {
    let mut inferred = usize::MAX;
    for ((g, &len), path) in groups.iter().zip(lens).zip(paths) {
        let Some(data) = len.checked_sub(g.byte_offset) else {
            let msg = format!("file ends before its {}-byte header offset", g.byte_offset);
            return Err(corrupt(path, len, msg));
        };
        let nsig = g.signals.len();
        let Some(n) = header.n_samples else {
            inferred = inferred.min(g.format.samples_in(usize_of(data, path)?) / nsig);
            continue;
        };
        let samples = n.checked_mul(nsig).filter(|s| s.checked_mul(2).is_some());
        let Some(samples) = samples else {
            return Err(corrupt(
                path,
                len,
                format!("header's {n} samples exceed memory"),
            ));
        };
        let min = g
            .byte_offset
            .saturating_add(g.format.stream_bytes(samples) as u64);
        // A trailing odd 212 sample may fill a whole 3-byte unit; block files are padded.
        let mut max = g
            .byte_offset
            .saturating_add(g.format.stream_bytes(samples + samples % 2) as u64);
        let block = u64::from(header.signals[g.signals.start].block_size);
        if block > 0 {
            max = max.div_ceil(block).saturating_mul(block);
        }
        if len < min {
            let msg = format!("truncated: {n} samples per signal need {min} bytes, file has {len}");
            return Err(corrupt(path, len, msg));
        }
        if len > max {
            let msg = format!("header gives {n} samples per signal ({min} bytes), file has {len}");
            return Err(corrupt(path, min, msg));
        }
    }
    Ok(header
        .n_samples
        .unwrap_or(if groups.is_empty() { 0 } else { inferred }))
}

pub(super) fn check_range(range: &Range<usize>, n_frames: usize) -> Result<()> {
    if range.start > range.end || range.end > n_frames {
        let msg = format!("{range:?} is not within the record's 0..{n_frames} samples");
        return Err(Error::invalid("range", msg));
    }
    Ok(())
}

/// File bytes holding frames `range` of a group, and the samples to skip in the first unit.
pub(super) fn byte_span(g: &SignalGroup, range: &Range<usize>) -> (Range<u64>, usize) {
    let nsig = g.signals.len();
    let (first, skip) = g.format.locate(range.start * nsig);
    let end = g.format.stream_bytes(range.end * nsig);
    let end = end.max(first);
    (
        g.byte_offset + first as u64..g.byte_offset + end as u64,
        skip,
    )
}

/// Decodes `n` frames of a group from `bytes` (which start at file offset `at`) into `out`, one
/// vector per signal of the group, reusing their capacity.
pub(super) fn decode_group(
    g: &SignalGroup,
    bytes: &[u8],
    skip: usize,
    n: usize,
    (path, at): (&Path, u64),
    out: &mut [Vec<i16>],
) -> Result<()> {
    let short = |need: usize| {
        let msg = format!(
            "truncated: {need} bytes needed from here, {} present",
            bytes.len()
        );
        corrupt(path, at + bytes.len() as u64, msg)
    };
    match out {
        [a, b] if g.format == Format::F212 && skip == 0 => {
            decode_212_two(bytes, n, a, b).map_err(short)
        }
        [only] => {
            only.clear();
            only.resize(n, 0);
            decode_stream(g.format, bytes, skip, only).map_err(short)
        }
        _ => {
            let nsig = out.len();
            let mut stream = vec![0i16; n * nsig];
            decode_stream(g.format, bytes, skip, &mut stream).map_err(short)?;
            for (s, v) in out.iter_mut().enumerate() {
                v.clear();
                v.extend(stream.iter().skip(s).step_by(nsig));
            }
            Ok(())
        }
    }
}
