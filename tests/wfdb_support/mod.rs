//! Writers for small WFDB files, used to test the reader on generated data.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ecg_anomaly::data::wfdb::{Annotation, Format};

/// A fresh empty folder under the system temp dir, unique per process and call, removed when
/// dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TempDir(crate::common::scratch(
            &format!("wfdb-{test}"),
            &n.to_string(),
        ))
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Encodes an interleaved sample stream in `format` (values must fit the format).
pub fn encode(format: Format, stream: &[i16]) -> Vec<u8> {
    match format {
        Format::F16 => stream.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Format::F61 => stream.iter().flat_map(|v| v.to_be_bytes()).collect(),
        Format::F160 => stream
            .iter()
            .flat_map(|&v| (v as u16 ^ 0x8000).to_le_bytes())
            .collect(),
        Format::F80 => stream.iter().map(|&v| (v + 128) as u8).collect(),
        Format::F212 => {
            let mut out = Vec::new();
            for pair in stream.chunks(2) {
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
    }
}

/// Smallest and largest valid digital value of a format.
pub fn value_range(format: Format) -> (i16, i16) {
    match format {
        Format::F80 => (-128, 127),
        Format::F212 => (-2048, 2047),
        _ => (i16::MIN, i16::MAX),
    }
}

/// Interleaves per-signal samples frame by frame.
pub fn interleave(signals: &[Vec<i16>]) -> Vec<i16> {
    let n = signals.first().map_or(0, Vec::len);
    (0..n)
        .flat_map(|i| signals.iter().map(move |s| s[i]))
        .collect()
}

/// WFDB checksum as the header writes it.
pub fn checksum(samples: &[i16]) -> i16 {
    samples.iter().fold(0u16, |a, &v| a.wrapping_add(v as u16)) as i16
}

/// Header text for one file `file` holding `signals` in `format`.
pub fn header_text(name: &str, file: &str, format: Format, signals: &[Vec<i16>]) -> String {
    let n = signals.first().map_or(0, Vec::len);
    let mut h = format!("{name} {} 360 {n}\n", signals.len());
    for (i, s) in signals.iter().enumerate() {
        let first = s.first().copied().unwrap_or(0);
        let line = format!(
            "{file} {} 200(0)/mV 12 0 {first} {} 0 lead{i}\n",
            format.code(),
            checksum(s)
        );
        h.push_str(&line);
    }
    h
}

/// Encodes annotations the way WFDB's `putann` does (MIT format, with end-of-file word).
pub fn encode_annotations(anns: &[Annotation]) -> Vec<u8> {
    let mut w: Vec<u16> = Vec::new();
    let mut bytes = Vec::new();
    let (mut prev, mut chan, mut num) = (0usize, 0u8, 0i8);
    let flush = |w: &mut Vec<u16>, bytes: &mut Vec<u8>| {
        bytes.extend(w.drain(..).flat_map(|x| x.to_le_bytes()));
    };
    for a in anns {
        let delta = a.sample as i64 - prev as i64;
        if a.code == 0 {
            // A zero word would read as end of file: SKIP to one sample before, then data 1.
            let d = (delta - 1) as i32 as u32;
            w.extend([59 << 10, (d >> 16) as u16, d as u16, 1]);
        } else if !(0..=1023).contains(&delta) {
            let d = delta as i32 as u32;
            w.extend([
                59 << 10,
                (d >> 16) as u16,
                d as u16,
                u16::from(a.code) << 10,
            ]);
        } else {
            w.push((u16::from(a.code) << 10) | delta as u16);
        }
        if a.subtype != 0 {
            w.push((61 << 10) | u16::from(a.subtype as u8));
        }
        if a.chan != chan {
            w.push((62 << 10) | u16::from(a.chan));
        }
        if a.num != num {
            w.push((60 << 10) | u16::from(a.num as u8));
        }
        if let Some(aux) = &a.aux {
            w.push((63 << 10) | aux.len() as u16);
            flush(&mut w, &mut bytes);
            bytes.extend(aux.as_bytes());
            if aux.len() % 2 == 1 {
                bytes.push(0);
            }
        }
        (prev, chan, num) = (a.sample, a.chan, a.num);
    }
    w.push(0);
    flush(&mut w, &mut bytes);
    bytes
}
