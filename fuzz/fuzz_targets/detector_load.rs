//! Detector loading from bytes: the first input byte picks one file of a saved detector folder
//! (`ECG_FUZZ_DETECTOR`, e.g. `target/quickstart-detector` after `cargo run --example
//! quickstart`), the rest replaces that file's contents; the folder is loaded, and a detector
//! that loads judges two beats. `Ok` or `Err`, never a panic; scores of a loaded detector are
//! finite.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use ecg_anomaly::detector::Detector;
use ecg_anomaly::device::default_device;
use libfuzzer_sys::fuzz_target;

/// The base folder's files, by name, sorted.
fn base() -> &'static Vec<(String, Vec<u8>)> {
    static BASE: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = std::env::var_os("ECG_FUZZ_DETECTOR")
            .map(PathBuf::from)
            .expect("set ECG_FUZZ_DETECTOR to a saved detector folder (README, Reliability)");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .expect("ECG_FUZZ_DETECTOR is a folder")
            .filter_map(|e| {
                let path = e.ok()?.path();
                let name = path.file_name()?.to_string_lossy().into_owned();
                Some((name, std::fs::read(&path).ok()?))
            })
            .collect();
        files.sort();
        files
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, contents)) = data.split_first() else {
        return;
    };
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let files = base();
    let dir = std::env::temp_dir().join(format!(
        "ecg-fuzz-detector-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed) % 4
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let target = usize::from(pick) % files.len();
    for (i, (name, bytes)) in files.iter().enumerate() {
        let bytes = if i == target {
            contents
        } else {
            bytes.as_slice()
        };
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    if let Ok(detector) = Detector::load(&dir, &default_device()) {
        let meta = detector.metadata();
        let width = meta.seq.saturating_mul(meta.channels);
        if (1..=100_000).contains(&width) {
            let beats: Vec<f32> = (0..2 * width).map(|i| (i as f32 * 0.05).sin()).collect();
            if let Ok(verdicts) = detector.detect_beats(&beats) {
                assert!(verdicts.iter().all(|v| v.score.is_finite()));
            }
        }
    }
});
