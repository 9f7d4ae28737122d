//! Property test: a saved detector folder whose files are corrupted (bytes flipped, digits
//! rewritten, truncated, replaced) loads as `Ok` or `Err`, never panics; a detector that does
//! load judges beats without panicking and gives finite scores.
#![cfg(feature = "burn")]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use ecg_anomaly::prelude::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// The files of one small fitted detector, by name, and its device.
struct Base {
    files: Vec<(String, Vec<u8>)>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let ecg = generate(&SyntheticConfig {
            fs: 250.0,
            length: SyntheticLength::Seconds(60.0),
            ..Default::default()
        })
        .unwrap()
        .ecg;
        let config = DetectorConfig {
            model: ModelSpec::LstmAutoencoder(LstmAutoencoderConfig {
                hidden: 8,
                latent: 4,
                ..Default::default()
            }),
            training: TrainingConfig {
                epochs: 1,
                quiet: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let detector = config
            .fit_signal(&ecg.leads[0], ecg.fs, &default_device())
            .unwrap();
        let dir = folder("base");
        detector.save(&dir).unwrap();
        // The undamaged folder loads: each case's error comes from its damage.
        Detector::load(&dir, &default_device()).unwrap();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
        files.sort();
        assert!(files.len() >= 7, "a detector folder holds at least 7 files");
        let _ = std::fs::remove_dir_all(&dir);
        Base { files }
    })
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecg-corrupt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// One corruption of one file's bytes.
#[derive(Debug, Clone)]
enum Damage {
    /// XOR bytes at positions with masks.
    Flip(Vec<(Index, u8)>),
    /// Overwrite bytes with characters that keep JSON plausible (digits, signs, exponents).
    Rewrite(Vec<(Index, u8)>),
    /// Keep only a prefix.
    Truncate(Index),
    /// Replace the whole file.
    Replace(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let plausible = select(b"0123456789-+.eE ,[]{}\"ntf".to_vec());
    prop_oneof![
        vec((any::<Index>(), 1u8..=255), 1..4).prop_map(Damage::Flip),
        vec((any::<Index>(), plausible), 1..4).prop_map(Damage::Rewrite),
        any::<Index>().prop_map(Damage::Truncate),
        vec(any::<u8>(), 0..64).prop_map(Damage::Replace),
    ]
}

fn apply(bytes: &[u8], damage: &Damage) -> Vec<u8> {
    let mut b = bytes.to_vec();
    match damage {
        Damage::Flip(edits) if !b.is_empty() => {
            for (at, mask) in edits {
                let i = at.index(b.len());
                b[i] ^= mask;
            }
        }
        Damage::Rewrite(edits) if !b.is_empty() => {
            for (at, byte) in edits {
                let i = at.index(b.len());
                b[i] = *byte;
            }
        }
        Damage::Truncate(at) => b.truncate(at.index(b.len().max(1))),
        Damage::Replace(new) => b = new.clone(),
        _ => {}
    }
    b
}

proptest! {
    // 256 cases: each writes a folder and loads it (most damage is refused by the JSON parser
    // or the weights' checksum within a millisecond); under a second in all.
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_corrupted_detector_folder_loads_or_errs_never_panics(
        file in any::<Index>(),
        damage in damage(),
    ) {
        static CASE: AtomicUsize = AtomicUsize::new(0);
        let base = base();
        let dir = folder(&format!("case-{}", CASE.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&dir).unwrap();
        let target = file.index(base.files.len());
        for (i, (name, bytes)) in base.files.iter().enumerate() {
            let bytes = if i == target { apply(bytes, &damage) } else { bytes.clone() };
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        let loaded = Detector::load(&dir, &default_device());
        if let Ok(detector) = &loaded {
            let meta = detector.metadata();
            let width = meta.seq.saturating_mul(meta.channels);
            if (1..=100_000).contains(&width) {
                let beats: Vec<f32> = (0..2 * width).map(|i| (i as f32 * 0.05).sin()).collect();
                if let Ok(verdicts) = detector.detect_beats(&beats) {
                    prop_assert_eq!(verdicts.len(), 2);
                    prop_assert!(verdicts.iter().all(|v| v.score.is_finite()));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
