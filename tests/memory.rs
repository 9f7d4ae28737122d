//! Reading a file costs memory proportional to what it holds: large synthetic files (a
//! 30 MB format-212 record, a 12 MB CSV, annotation files of 2 and 50 MB) are read under a
//! counting global allocator, and the peak of live heap bytes during the read is checked
//! against a stated factor of the file's size. No timing is measured.
#![cfg(feature = "burn")]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ecg_anomaly::Error;
use ecg_anomaly::data::csv::{CsvOptions, read_csv};
use ecg_anomaly::data::wfdb::{Annotation, Record, read_annotations, read_ecg};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = CURRENT.fetch_add(size, Ordering::SeqCst) + size;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every call is forwarded to `System` with the caller's arguments; the counters only
// observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (the caller upholds `alloc`'s contract).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as the old and new blocks both alive, as a moving realloc has them.
            grew(new_size);
            CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests in this binary run one at a time, so each peak is its own.
static SERIAL: Mutex<()> = Mutex::new(());

/// The result of `f` and the most heap bytes it held at once beyond what was live before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst) - before)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

/// A two-signal format-212 record of `frames` frames (3 bytes each) in `dir`.
fn write_212(dir: &Path, frames: usize) -> (PathBuf, usize) {
    let mut bytes = Vec::with_capacity(frames * 3);
    let mut state = 0x2545_f491u32;
    // The header's checksums: each signal's 12-bit samples summed modulo 2^16.
    let mut sums = [0u16; 2];
    let sample = |v: u16| (((v << 4) as i16) >> 4) as u16;
    for _ in 0..frames {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [b0, b1, b2, _] = state.to_le_bytes();
        bytes.extend_from_slice(&[b0, b1, b2]);
        let (b0, b1, b2) = (u16::from(b0), u16::from(b1), u16::from(b2));
        sums[0] = sums[0].wrapping_add(sample(b0 | ((b1 & 0x0f) << 8)));
        sums[1] = sums[1].wrapping_add(sample(b2 | ((b1 & 0xf0) << 4)));
    }
    let (a, b) = (sums[0] as i16, sums[1] as i16);
    let hea = format!(
        "big 2 360 {frames}\nbig.dat 212 200 11 1024 0 {a} 0 MLII\nbig.dat 212 200 11 1024 0 {b} 0 V5\n"
    );
    std::fs::write(dir.join("big.hea"), hea).unwrap();
    std::fs::write(dir.join("big.dat"), &bytes).unwrap();
    (dir.join("big"), bytes.len())
}

#[test]
fn a_large_212_record_costs_its_bytes_plus_its_samples() {
    let _serial = SERIAL.lock().unwrap();
    let dir = common::scratch("memory", "212");
    let (rec, file) = write_212(&dir, 10_000_000);
    // The file's bytes (F) and the digital samples (2 i16 per 3 bytes: 4F/3) at once.
    let (record, peak) = peak_of(|| Record::read(&rec).unwrap());
    assert_eq!(record.len(), 10_000_000);
    drop(record);
    let factor = peak as f64 / file as f64;
    println!(
        "Record::read: {:.1} MB file, peak {:.1} MB ({factor:.2}x)",
        mb(file),
        mb(peak)
    );
    assert!(
        factor <= 2.5,
        "Record::read peaked at {factor:.2}x the file (limit 2.5x)"
    );
    // Then the samples in mV: the digital (4F/3) and physical (8F/3) samples at once.
    let (ecg, peak) = peak_of(|| read_ecg(&rec).unwrap());
    assert_eq!(ecg.leads[1].len(), 10_000_000);
    drop(ecg);
    let factor = peak as f64 / file as f64;
    println!("read_ecg: peak {:.1} MB ({factor:.2}x)", mb(peak));
    assert!(
        factor <= 4.1,
        "read_ecg peaked at {factor:.2}x the file (limit 4.1x)"
    );
    let (range, peak) = peak_of(|| Record::read_range(&rec, 0..1_000_000).unwrap());
    assert_eq!(range.len(), 1_000_000);
    let factor = peak as f64 / (file as f64 / 10.0);
    assert!(
        factor <= 2.5,
        "read_range peaked at {factor:.2}x its bytes (limit 2.5x)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_large_csv_costs_about_its_bytes() {
    let _serial = SERIAL.lock().unwrap();
    let dir = common::scratch("memory", "csv");
    let path = dir.join("big.csv");
    let rows = 2_000_000;
    let text: String = (0..rows)
        .map(|i| format!("{:.3}\n", (i % 2000) as f32 * 0.001))
        .collect();
    std::fs::write(&path, &text).unwrap();
    let file = text.len();
    drop(text);
    let (ecg, peak) = peak_of(|| read_csv(&path, 360.0, &CsvOptions::default()).unwrap());
    assert_eq!(ecg.len(), rows);
    let factor = peak as f64 / file as f64;
    println!(
        "read_csv: {:.1} MB file, peak {:.1} MB ({factor:.2}x)",
        mb(file),
        mb(peak)
    );
    // 4 bytes per sample of 6-byte rows; a doubling vector may hold 1.5x that while growing.
    assert!(
        factor <= 1.5,
        "read_csv peaked at {factor:.2}x the file (limit 1.5x)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An annotation file of `n` N beats, one every 300 samples, with a rhythm note every 1000.
fn write_atr(path: &Path, n: usize) -> usize {
    let mut bytes = Vec::with_capacity(n * 2 + 16);
    for i in 0..n {
        bytes.extend_from_slice(&((1u16 << 10) | 300).to_le_bytes());
        if i % 1000 == 0 {
            bytes.extend_from_slice(&((63u16 << 10) | 4).to_le_bytes());
            bytes.extend_from_slice(b"(N\0\0");
        }
    }
    bytes.extend_from_slice(&[0, 0]);
    std::fs::write(path, &bytes).unwrap();
    bytes.len()
}

#[test]
fn annotations_cost_their_file_plus_one_record_each_and_a_huge_file_is_refused_cheaply() {
    let _serial = SERIAL.lock().unwrap();
    let dir = common::scratch("memory", "atr");
    let path = dir.join("rec.atr");
    let n = 1_000_000;
    let file = write_atr(&path, n);
    let (anns, peak) = peak_of(|| read_annotations(&path).unwrap());
    assert_eq!(anns.len(), n);
    assert_eq!(anns[n - 1].sample, 300 * n);
    drop(anns);
    // Exactly one `Annotation` per annotation (no doubling), plus the file and the aux strings.
    let exact = file + n * size_of::<Annotation>() + (n / 1000 + 1) * 64;
    println!(
        "read_annotations: {:.1} MB file, peak {:.1} MB, bound {:.1} MB",
        mb(file),
        mb(peak),
        mb(exact)
    );
    assert!(peak <= exact, "peak {peak} bytes over {exact}");
    // 50 MB of beats: 25 M annotations, over the default 8 M: refused after holding only the
    // file, where a doubling vector of 40-byte annotations would have taken over 1 GB.
    let huge = write_atr(&path, 25_000_000);
    let (result, peak) = peak_of(|| read_annotations(&path));
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: "max_annotations",
                ..
            }
        ),
        "{err}"
    );
    let factor = peak as f64 / huge as f64;
    println!(
        "refused {:.1} MB .atr: peak {:.1} MB ({factor:.2}x)",
        mb(huge),
        mb(peak)
    );
    assert!(factor <= 1.01, "refusing peaked at {factor:.2}x the file");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Streaming: the memory a `StreamingDetector` holds does not grow with the stream. The first
/// two minutes warm it up (first allocations, the backend's buffers); then the most heap it
/// holds at once while ten more minutes stream through must stay that of two minutes.
#[test]
fn a_stream_holds_the_same_memory_after_ten_minutes_as_after_two() {
    use ecg_anomaly::prelude::*;
    use ecg_anomaly::stream::{StreamConfig, StreamingDetector};
    use std::sync::Arc;

    let _serial = SERIAL.lock().unwrap();
    let synthetic =
        |minutes: f64, seed: u64| common::synthetic(125.0, minutes * 60.0, 0.05, seed).ecg;
    let train = synthetic(3.0, 1);
    let config = DetectorConfig {
        model: common::lstm_spec(16, 32),
        training: TrainingConfig {
            epochs: 2,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let detector = config
        .fit_signal(&train.leads[0], train.fs, &default_device())
        .unwrap();
    let feed = synthetic(14.0, 2);
    let lead = &feed.leads[0];
    let minute = (60.0 * feed.fs) as usize;
    let mut stream =
        StreamingDetector::new(Arc::new(detector), feed.fs, StreamConfig::default()).unwrap();
    let mut judged = 0;
    let mut play = |samples: &[f32]| {
        for chunk in samples.chunks(50) {
            judged += stream.push(chunk).unwrap().len();
        }
    };
    play(&lead[..2 * minute]);
    let ((), warm) = peak_of(|| play(&lead[2 * minute..4 * minute]));
    let ((), long) = peak_of(|| play(&lead[4 * minute..14 * minute]));
    println!(
        "stream: {judged} beats; peak {:.1} KB over minutes 2-4, {:.1} KB over minutes 4-14",
        warm as f64 / 1e3,
        long as f64 / 1e3
    );
    assert!(judged > 14 * 60, "{judged} beats in 14 minutes");
    assert!(
        long <= warm + warm / 4 + 16_384,
        "the stream's peak grew from {warm} to {long} bytes"
    );
}
