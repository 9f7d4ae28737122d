//! Property tests: a saved detector folder whose files are corrupted (bytes flipped, digits
//! rewritten, truncated, replaced) loads as `Ok` or `Err`, never panics; a detector that does
//! load judges beats without panicking and gives finite scores. And any `DetectorConfig` that
//! `validate()` accepts fits and detects, any folder `Detector::load` accepts detects, without
//! panic, abort or an allocation over the binary's 1 GiB cap.
#![cfg(feature = "burn")]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use ecg_anomaly::prelude::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// The memory cap of this test binary: one allocation over 1 GiB fails, so an allocation
/// sized by a configuration value (10^12 beats of history) aborts the test at once instead of
/// paging the machine to death. Nothing these tests do legitimately needs that much at once.
struct Capped;

const CAP: usize = 1 << 30;

// SAFETY: every call is forwarded to `System` with the caller's arguments, or refused with a
// null pointer (which `GlobalAlloc` allows: the caller then reports the failure).
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > CAP {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded as is (the caller upholds `alloc`'s contract).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > CAP {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > CAP {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

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
        let config = common::tiny_detector_config();
        let detector = config
            .fit_signal(&ecg.leads[0], ecg.fs, &default_device())
            .unwrap();
        let dir = common::temp_path("corrupt", "base");
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
        let dir = common::temp_path("corrupt", &format!("case-{}", CASE.fetch_add(1, Ordering::Relaxed)));
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

/// Leads for the configuration property: 60 s to fit on and 20 s to judge, at 250 Hz.
fn leads() -> &'static (Vec<f32>, Vec<f32>) {
    static LEADS: OnceLock<(Vec<f32>, Vec<f32>)> = OnceLock::new();
    LEADS.get_or_init(|| {
        let lead = |seconds, seed| {
            generate(&SyntheticConfig {
                fs: 250.0,
                length: SyntheticLength::Seconds(seconds),
                seed,
                ..Default::default()
            })
            .unwrap()
            .ecg
            .leads[0]
                .clone()
        };
        (lead(60.0, 3), lead(20.0, 4))
    })
}

/// Each numeric (or numeric-holding) setting of a `DetectorConfig` as a JSON pointer, with
/// values in and out of its documented range: 0, the bounds, just past them, 10^12, 10^300.
fn settings() -> Vec<(&'static str, Vec<serde_json::Value>)> {
    use serde_json::json;
    let big = json!(1_000_000_000_000u64);
    vec![
        (
            "/pipeline/before_s",
            vec![json!(0.0), json!(0.1), json!(2.0), json!(2.5), json!(1e300)],
        ),
        (
            "/pipeline/after_s",
            vec![
                json!(0.0),
                json!(0.3),
                json!(2.0),
                json!(-1.0),
                json!(1e300),
            ],
        ),
        (
            "/pipeline/resample_to",
            vec![
                json!(null),
                json!(50.0),
                json!(125.0),
                json!(180.0),
                json!(0.25),
                json!(1e12),
                json!(500.0),
            ],
        ),
        (
            "/pipeline/max_input_samples",
            vec![json!(0), json!(1), json!(2000), big.clone()],
        ),
        (
            "/pipeline/filter",
            vec![
                json!(null),
                json!({"low_hz": 0.5, "high_hz": 40.0, "order": 2}),
                json!({"low_hz": 5.0, "high_hz": 3.0, "order": 2}),
                json!({"low_hz": 0.5, "high_hz": 100.0, "order": 8}),
                json!({"low_hz": 1e-300, "high_hz": 1e300, "order": 9}),
            ],
        ),
        (
            "/pipeline/quality",
            vec![
                json!(null),
                json!({"flat_window_s": 0.0}),
                json!({"rail_run_s": 1e300}),
                json!({"flat_ptp": -1.0}),
                json!({"max_noise_ratio": 1e300}),
                json!({"noise_hz": 200.0}),
            ],
        ),
        (
            "/validation_fraction",
            vec![
                json!(0.0),
                json!(0.01),
                json!(0.5),
                json!(0.99),
                json!(1.0),
                json!(1e300),
            ],
        ),
        (
            "/score",
            vec![
                json!({"kind": "mae"}),
                json!({"kind": "max_moving_average", "window": 0}),
                json!({"kind": "max_moving_average", "window": 5}),
                json!({"kind": "max_moving_average", "window": 1 << 20}),
                json!({"kind": "max_moving_average", "window": big.clone()}),
                json!({"kind": "mahalanobis", "regularization": {"shrinkage": 2.0}}),
                json!({"kind": "mahalanobis", "regularization": {"ridge": 0.1}}),
                json!({"kind": "kl"}),
            ],
        ),
        (
            "/threshold",
            vec![
                json!({"kind": "percentile", "q": 101.0}),
                json!({"kind": "percentile", "q": 0.0}),
                json!({"kind": "mean_std", "k": 1e308}),
                json!({"kind": "fixed", "value": -1e308}),
                json!({"kind": "contamination", "fraction": 1.0}),
                json!({"kind": "labelled_best_f1"}),
            ],
        ),
        (
            "/context",
            vec![
                json!({"reference": {"kind": "running", "beats": 5}}),
                json!({"reference": {"kind": "running", "beats": 20}}),
                json!({"reference": {"kind": "running", "beats": big.clone()}}),
                json!({"rhythm": true, "template": true, "reference": {"kind": "record"}}),
                json!({"rhythm": true, "reference": {"kind": "record_median"}, "fusion": "max"}),
            ],
        ),
        (
            "/training/batch_size",
            vec![json!(0), json!(1), json!(7), big.clone()],
        ),
        ("/training/epochs", vec![json!(0), json!(1), big.clone()]),
        (
            "/training/learning_rate",
            vec![json!(0.0), json!(0.01), json!(11.0), json!(1e300)],
        ),
        (
            "/training/patience",
            vec![json!(0), json!(1), json!(null), big.clone()],
        ),
        (
            "/training/num_workers",
            vec![json!(0), json!(2), big.clone()],
        ),
        (
            "/training/gradient_clip_norm",
            vec![json!(null), json!(1e-300), json!(0.0), json!(1.0)],
        ),
        ("/training/weight_decay", vec![json!(0.0), json!(2.0)]),
        (
            "/model/config/hidden",
            vec![json!(0), json!(1), json!(8), json!(4097)],
        ),
        (
            "/model/config/layers",
            vec![json!(0), json!(1), json!(2), json!(17)],
        ),
        (
            "/model/config/dropout",
            vec![json!(0.0), json!(0.5), json!(1.0), json!(-0.1)],
        ),
        (
            "/model/config/time_features",
            vec![json!(0), json!(3), json!(5000)],
        ),
    ]
}

/// `config.json` (and `context.json`'s copy of the context settings) of the base folder with
/// `value` as the configuration, in a fresh folder.
fn folder_with_config(value: &serde_json::Value, case: usize) -> PathBuf {
    let dir = common::temp_path("corrupt", &format!("config-{case}"));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in &base().files {
        let bytes = match name.as_str() {
            "config.json" => serde_json::to_vec(value).unwrap(),
            "context.json" => {
                let mut context: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                if let Some(c) = value.get("context") {
                    context["config"] = c.clone();
                }
                serde_json::to_vec(&context).unwrap()
            }
            _ => bytes.clone(),
        };
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir
}

proptest! {
    // Issue 29. 64 cases of one to three settings each set in or out of range: the JSON is
    // refused, or validate() refuses it, or it fits (one epoch of a small model, under a
    // second) and detects without panic or abort; and the same configuration in a saved
    // folder either fails to load or detects. Every setting's allocations are bounded by its
    // validated range, so no case can ask for unbounded memory.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_configuration_validate_accepts_fits_and_detects_and_any_loaded_folder_detects(
        edits in vec((any::<Index>(), any::<Index>()), 1..4),
    ) {
        static CASE: AtomicUsize = AtomicUsize::new(0);
        let case = CASE.fetch_add(1, Ordering::Relaxed);
        let settings = settings();
        let (_, base_config) = base()
            .files
            .iter()
            .find(|(name, _)| name == "config.json")
            .unwrap();
        let mut value: serde_json::Value = serde_json::from_slice(base_config).unwrap();
        for (setting, pick) in &edits {
            let (pointer, values) = &settings[setting.index(settings.len())];
            let slot = value.pointer_mut(pointer).unwrap();
            *slot = values[pick.index(values.len())].clone();
        }
        let (train, test) = leads();
        let device = default_device();

        // The folder half: what load accepts, detects (or says why not).
        let dir = folder_with_config(&value, case);
        if let Ok(detector) = Detector::load(&dir, &device) {
            prop_assert!(detector.config().validate().is_ok());
            match detector.detect_signal(test, 250.0) {
                Ok(verdicts) => {
                    prop_assert!(!verdicts.is_empty());
                    prop_assert!(verdicts.iter().all(|v| v.score.is_finite()));
                }
                Err(e) => prop_assert!(!matches!(e, Error::Backend(_)), "{}", e),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);

        // The fitting half. What each case came to, for `--nocapture`.
        let outcome = |what: &str| eprintln!("config case {case}: {what}");
        let Ok(config) = serde_json::from_value::<DetectorConfig>(value) else {
            outcome("not a configuration");
            return Ok(());
        };
        if let Err(e) = config.validate() {
            outcome(&format!("refused by validate: {e}"));
            return Ok(());
        }
        let fitted = config.fit_signal(train, 250.0, &device);
        outcome(&format!("valid; fit: {:?}", fitted.as_ref().map(|_| "ok").map_err(|e| e.to_string())));
        if let Ok(detector) = fitted {
            if let Ok(verdicts) = detector.detect_signal(test, 250.0) {
                prop_assert!(!verdicts.is_empty());
                prop_assert!(verdicts.iter().all(|v| v.score.is_finite()));
            }
            // A fitted detector saves, and what it saved loads.
            let dir = common::temp_path("corrupt", &format!("fitted-{case}"));
            detector.save(&dir).unwrap();
            let loaded = Detector::load(&dir, &device);
            prop_assert!(loaded.is_ok(), "{:?}", loaded.err());
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
