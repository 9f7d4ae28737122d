//! The front door: `DetectorConfig::fit_signal` on a synthetic ECG, `detect_signal` on another
//! recording (at another sampling rate too), save and load, and the other inputs `detect` takes.
#![cfg(feature = "burn")]

use std::sync::OnceLock;

use ecg_anomaly::data::synthetic::{BeatKind, SyntheticEcg};
use ecg_anomaly::detector::BeatSource;
use ecg_anomaly::evaluate::Ranking;
use ecg_anomaly::prelude::*;
use ecg_anomaly::score::{
    AnyScore, Calibration, ContextConfig, ContextScore, Fusion, KlDivergence, Mahalanobis,
    ReconstructionError, Reference,
};
use ecg_anomaly::threshold::Threshold;

use crate::common::synthetic as record;

/// One detector for the whole file, fitted on 6 minutes of mostly normal beats at their own
/// 125 Hz, its score the model's as it is (the context is tried below, and the default
/// configuration in `the_default_configuration_fits_and_ranks_at_its_own_rate`).
fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        let train = record(125.0, 360.0, 0.02, 11);
        let config = DetectorConfig {
            pipeline: BeatPipeline {
                resample_to: None,
                ..Default::default()
            },
            context: ContextConfig::default(),
            ..crate::common::quick_lstm_config(32, 32, 8)
        };
        config
            .fit_signal(&train.ecg.leads[0], train.ecg.fs, &default_device())
            .unwrap()
    })
}

/// Each verdict's truth: the generated beat nearest its position, within 100 ms.
fn labels(verdicts: &[Verdict], truth: &SyntheticEcg) -> (Vec<f64>, Vec<bool>) {
    let tolerance = (0.1 * truth.ecg.fs) as usize;
    let mut scores = Vec::new();
    let mut anomalous = Vec::new();
    for v in verdicts {
        let position = v.position.expect("detect_signal gives positions");
        let nearest = truth
            .beats
            .iter()
            .min_by_key(|b| b.r_peak.abs_diff(position))
            .unwrap();
        if nearest.r_peak.abs_diff(position) <= tolerance {
            scores.push(v.score);
            anomalous.push(nearest.is_anomaly());
        }
    }
    (scores, anomalous)
}

#[test]
fn fitted_detector_ranks_abnormal_beats_of_a_new_recording_first() {
    let detector = detector();
    let meta = detector.metadata();
    assert_eq!(meta.fs, Some(125.0));
    assert_eq!(meta.seq, 49 + 63, "0.389 s + 0.5 s at 125 Hz, rounded");
    assert!(
        meta.training_windows > 250 && meta.validation_windows > 60,
        "{meta:?}"
    );
    assert_eq!(detector.pipeline().resample_to, Some(125.0));
    let test = record(125.0, 180.0, 0.15, 12);
    let verdicts = detector.detect_signal(&test.ecg.leads[0], 125.0).unwrap();
    let (scores, anomalous) = labels(&verdicts, &test);
    assert!(
        scores.len() >= verdicts.len() * 95 / 100,
        "most beats match a true beat"
    );
    let auc = Ranking::new(&scores, &anomalous).unwrap().roc_auc();
    assert!(auc > 0.85, "ROC-AUC {auc}");
    for v in &verdicts {
        assert_eq!(v.error.len(), meta.seq);
        assert!(v.score.is_finite() && (0.0..=1.0).contains(&v.calibrated));
        assert_eq!(v.anomaly, v.score > detector.threshold().value);
    }
}

/// What `DetectorConfig::default()` gives a user (fewer epochs): the ConvVae at 180 Hz, its
/// score in context (shape and rhythm against the recording's median), on a 360 Hz recording.
#[test]
fn the_default_configuration_fits_and_ranks_at_its_own_rate() {
    let train = record(360.0, 360.0, 0.02, 21);
    let config = DetectorConfig {
        training: TrainingConfig {
            epochs: 8,
            quiet: true,
            ..DetectorConfig::default().training
        },
        ..DetectorConfig::default()
    };
    let detector = config
        .fit_signal(&train.ecg.leads[0], 360.0, &default_device())
        .unwrap();
    let meta = detector.metadata();
    assert_eq!(meta.fs, Some(DetectorConfig::DEFAULT_RATE_HZ));
    assert_eq!(meta.seq, 160, "70 + 90 samples at 180 Hz");
    assert_eq!(
        detector.model().kind(),
        ecg_anomaly::detector::ModelKind::ConvVae
    );
    let test = record(360.0, 180.0, 0.15, 22);
    let verdicts = detector.detect_signal(&test.ecg.leads[0], 360.0).unwrap();
    let (scores, anomalous) = labels(&verdicts, &test);
    assert!(scores.len() >= verdicts.len() * 95 / 100);
    let auc = Ranking::new(&scores, &anomalous).unwrap().roc_auc();
    assert!(auc > 0.85, "ROC-AUC {auc}");
    let t = detector.threshold().value;
    let normal: Vec<f64> = scores
        .iter()
        .zip(&anomalous)
        .filter(|(_, a)| !**a)
        .map(|(s, _)| *s)
        .collect();
    let flagged = normal.iter().filter(|&&s| s > t).count() as f64 / normal.len() as f64;
    assert!(
        flagged < 0.15,
        "{:.1} % of normal beats flagged",
        100.0 * flagged
    );
    for v in &verdicts {
        assert!(v.score.is_finite() && v.model_score >= 0.0);
        assert_eq!(v.anomaly, v.score > detector.threshold().value);
    }
}

#[test]
fn a_recording_at_another_rate_is_resampled_to_the_detectors() {
    let detector = detector();
    let test = record(360.0, 120.0, 0.15, 13);
    let verdicts = detector.detect_signal(&test.ecg.leads[0], 360.0).unwrap();
    let (scores, anomalous) = labels(&verdicts, &test);
    assert!(
        scores.len() >= verdicts.len() * 95 / 100,
        "positions are in the input's samples"
    );
    let auc = Ranking::new(&scores, &anomalous).unwrap().roc_auc();
    assert!(auc > 0.8, "ROC-AUC {auc} at 360 Hz");
}

#[test]
fn save_and_load_give_the_same_verdicts_and_every_input_kind_agrees() {
    let detector = detector();
    let dir = crate::common::temp_path("detector-fit", "saved");
    detector.save(&dir).unwrap();
    let loaded = Detector::load(&dir, &default_device()).unwrap();
    let test = record(125.0, 60.0, 0.1, 14);
    let lead = &test.ecg.leads[0];
    let before = detector.detect_signal(lead, 125.0).unwrap();
    let after = loaded.detect_signal(lead, 125.0).unwrap();
    assert_eq!(before, after);
    assert_eq!(loaded.config(), detector.config());
    assert!(loaded.history().is_some_and(|h| !h.epochs.is_empty()));

    // The same beats through `detect(&ProcessedSignal)` and `detect_beats`.
    let processed = detector.pipeline().run(lead, 125.0).unwrap();
    let from_processed = detector.detect(&processed).unwrap();
    assert_eq!(from_processed, before);
    let flat = detector.detect_beats(&processed.beats.data).unwrap();
    let scores = |v: &[Verdict]| v.iter().map(|v| v.score).collect::<Vec<_>>();
    assert_eq!(scores(&flat), scores(&before));
    assert!(flat.iter().all(|v| v.position.is_none()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn other_scores_of_the_same_model_come_from_one_pass_before_context() {
    let detector = detector();
    let test = record(125.0, 60.0, 0.1, 15);
    let processed = detector.pipeline().run(&test.ecg.leads[0], 125.0).unwrap();
    let verdicts = detector.detect(&processed).unwrap();
    let codes = detector.latents(&processed).unwrap();
    assert_eq!(codes.len(), verdicts.len());
    let mahalanobis = Mahalanobis::fit(&codes.values, codes.dim, Default::default()).unwrap();
    let scores = [
        AnyScore::from(ReconstructionError::Mse),
        mahalanobis.into(),
        ReconstructionError::MaxMovingAverage { window: 6 }.into(),
    ];
    let out = detector.score_with(&scores, &processed).unwrap();
    assert_eq!(out.len(), 3);
    // The detector's own score (MSE) is each verdict's model score.
    let own: Vec<f64> = verdicts.iter().map(|v| v.model_score).collect();
    assert_eq!(out[0], own);
    // A 6-sample peak of the squared error is at least its mean over the whole beat.
    assert!(
        out[2]
            .iter()
            .zip(&own)
            .all(|(peak, mean)| peak >= &(mean * 0.999))
    );
    assert!(out[1].iter().all(|d| d.is_finite() && *d >= 0.0));
    // The latent distance ranks the abnormal beats above the normal ones too.
    let by_distance: Vec<Verdict> = verdicts
        .iter()
        .zip(&out[1])
        .map(|(v, &score)| Verdict { score, ..v.clone() })
        .collect();
    let (distances, anomalous) = labels(&by_distance, &test);
    let auc = Ranking::new(&distances, &anomalous).unwrap().roc_auc();
    assert!(auc > 0.6, "latent Mahalanobis ROC-AUC {auc}");
    let kl = detector.score_with(&[KlDivergence.into()], &processed);
    assert!(kl.is_err(), "an LSTM autoencoder has no posterior variance");
}

#[test]
fn bad_input_gives_typed_errors() {
    let detector = detector();
    assert!(matches!(
        detector.detect_beats(&[0.0; 7]),
        Err(Error::InvalidArgument { .. })
    ));
    let mut beats = vec![0.5f32; 2 * detector.metadata().seq];
    beats[150] = f32::NAN;
    let err = detector.detect_beats(&beats).unwrap_err();
    assert!(matches!(err, Error::Signal { sample: 150, .. }), "{err:?}");
    let other = WindowDataset::new(vec![0.0; 20], 10, 1, vec![false; 2]).unwrap();
    assert!(
        detector
            .detect(&other)
            .unwrap_err()
            .to_string()
            .contains("10 x 1")
    );
    assert!(detector.detect_signal(&[], 125.0).is_err());
    assert!(detector.detect_signal(&[1.0; 500], f64::NAN).is_err());
    // Too short for a beat: an error that says so, not an empty answer.
    let err = detector.detect_signal(&[0.0; 50], 125.0).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoBeats(NoBeats::WindowLongerThanSignal {
                samples: 50,
                window: 112,
                ..
            })
        ),
        "{err}"
    );
}

/// Issue 29: where no beat can be judged, `detect_signal` and `fit_signal` say why (a typed
/// error), and inputs no ECG has (a rate in kHz, 0.25 Hz, a lead scaled to 1e20) are errors,
/// returned at once; a flat lead, noise or a single beat never panics the fit.
#[test]
fn no_beat_to_judge_is_an_error_that_says_why() {
    let detector = detector();
    let test = record(125.0, 60.0, 0.1, 16);
    let lead = &test.ecg.leads[0];
    let intact = detector.detect_signal(lead, 125.0).unwrap();
    assert!(intact.len() > 50, "{} beats in 60 s", intact.len());

    // A flat lead (its band-pass's edge transients may pass for a peak or two, too near the
    // ends to cut a beat around), and silence.
    let flat = vec![0.25f32; lead.len()];
    let err = detector.detect_signal(&flat, 125.0).unwrap_err();
    let beatless = |e: &Error| {
        matches!(
            e,
            Error::NoBeats(NoBeats::NoPeaks { .. } | NoBeats::NoCompleteBeat { .. })
        )
    };
    assert!(beatless(&err), "{err}");
    assert!(err.to_string().starts_with("no beat to judge"), "{err}");
    let err = detector
        .detect_signal(&vec![0.0; lead.len()], 125.0)
        .unwrap_err();
    assert!(
        matches!(err, Error::NoBeats(NoBeats::NoPeaks { .. })),
        "{err}"
    );
    assert!(
        err.to_string().contains("no R-peak found in 60.0 s"),
        "{err}"
    );
    let huge: Vec<f32> = lead.iter().map(|v| v * 1e20).collect();
    let err = detector.detect_signal(&huge, 125.0).unwrap_err();
    assert!(matches!(err, Error::Signal { .. }), "{err}");
    assert!(err.to_string().contains("amplitude"), "{err}");
    let started = std::time::Instant::now();
    for fs in [0.25, 0.125] {
        let err = detector.detect_signal(lead, fs).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { name: "fs", .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("not an ECG sampling rate"),
            "{err}"
        );
    }
    let err = detector.detect_signal(lead, 0.125).unwrap_err().to_string();
    assert!(err.contains("0.125 kHz is 125 Hz"), "{err}");
    assert!(started.elapsed().as_secs() < 5, "refused at once");

    let device = default_device();
    let config = crate::common::tiny_detector_config();
    // A flat lead, a minute of noise, a lead with one beat: errors, not panics.
    let err = config.fit_signal(&flat, 125.0, &device).unwrap_err();
    assert!(beatless(&err), "{err}");
    let noise: Vec<f32> = (0..7500u32)
        .map(|i| ((i.wrapping_mul(2_654_435_761) >> 16) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    if let Err(err) = config.fit_signal(&noise, 125.0, &device) {
        assert!(
            matches!(err, Error::NoBeats(_) | Error::InvalidArgument { .. }),
            "{err}"
        );
    }
    let first = intact[0].position.unwrap();
    let one_beat = &lead[first.saturating_sub(60)..first + 100];
    let err = config.fit_signal(one_beat, 125.0, &device).unwrap_err();
    assert!(
        matches!(err, Error::NoBeats(_) | Error::InvalidArgument { .. }),
        "{err}"
    );
    let err = config
        .fit_records(&[(flat.as_slice(), 125.0), (&flat[..100], 125.0)], &device)
        .unwrap_err();
    assert!(matches!(err, Error::NoBeats(_)), "{err}");
}

/// Issue 29: the signal's length is bounded by a setting that the limit error names.
#[test]
fn a_signal_over_the_pipelines_bound_is_a_limit_naming_the_setting() {
    let mut parts = detector().clone().into_parts();
    parts.config.pipeline.max_input_samples = 10_000;
    let bounded = Detector::from_parts(parts).unwrap();
    let test = record(125.0, 100.0, 0.1, 17);
    let lead = &test.ecg.leads[0];
    assert!(bounded.detect_signal(&lead[..10_000], 125.0).is_ok());
    // Too long as given, and too long once resampled from 50 Hz to the detector's 125 Hz.
    let slow = vec![0.0f32; 4001];
    for (signal, fs) in [(&lead[..10_001], 125.0), (&slow[..], 50.0)] {
        let err = bounded.detect_signal(signal, fs).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Limit {
                    limit: "BeatPipeline::max_input_samples",
                    max: 10_000,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("BeatPipeline::max_input_samples"),
            "{err}"
        );
    }
    assert_eq!(
        detector().pipeline().max_input_samples,
        48 * 3600 * 1000,
        "the default: 48 h at 1 kHz"
    );
}

/// Issue 29: `Detector::load` validates the whole configuration and checks the pipeline's
/// window and rate against the model's input; a folder it accepts detects.
#[test]
fn load_refuses_settings_out_of_range_and_a_window_the_model_cannot_take() {
    let detector = detector();
    let dir = crate::common::temp_path("detector-fit", "bounds");
    detector.save(&dir).unwrap();
    let config_path = dir.join("config.json");
    let context_path = dir.join("context.json");
    let original = std::fs::read_to_string(&config_path).unwrap();
    let original_context = std::fs::read_to_string(&context_path).unwrap();
    let test = record(125.0, 60.0, 0.1, 18);
    let lead = &test.ecg.leads[0];
    let edit = |pointer: &str, value: serde_json::Value| {
        let mut json: serde_json::Value = serde_json::from_str(&original).unwrap();
        *json.pointer_mut(pointer).unwrap() = value;
        std::fs::write(&config_path, json.to_string()).unwrap();
    };
    let cases = [
        ("/pipeline/before_s", serde_json::json!(1e300), "before_s"),
        (
            "/pipeline/resample_to",
            serde_json::json!(0.25),
            "resample_to",
        ),
        (
            "/pipeline/resample_to",
            serde_json::json!(250.0),
            "resamples to",
        ),
        ("/pipeline/after_s", serde_json::json!(0.3), "beat window"),
        (
            "/training/batch_size",
            serde_json::json!(1u64 << 40),
            "batch_size",
        ),
    ];
    for (pointer, value, what) in cases {
        edit(pointer, value);
        let err = Detector::load(&dir, &default_device()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Artifact { .. }), "{pointer}: {text}");
        assert!(
            text.contains("config.json") && text.contains(what),
            "{pointer}: {text}"
        );
    }
    // A running reference of 10^12 beats, in both files that hold it: refused at load (it
    // aborted the process at the first detection).
    let running = serde_json::json!({"kind": "running", "beats": 1_000_000_000_000u64});
    edit("/context/reference", running.clone());
    let mut context: serde_json::Value = serde_json::from_str(&original_context).unwrap();
    context["config"]["reference"] = running;
    std::fs::write(&context_path, context.to_string()).unwrap();
    let err = Detector::load(&dir, &default_device())
        .unwrap_err()
        .to_string();
    assert!(err.contains("context.reference.beats"), "{err}");
    // The intact folder loads and judges as before.
    std::fs::write(&config_path, &original).unwrap();
    std::fs::write(&context_path, &original_context).unwrap();
    let loaded = Detector::load(&dir, &default_device()).unwrap();
    assert_eq!(
        loaded.detect_signal(lead, 125.0).unwrap(),
        detector.detect_signal(lead, 125.0).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fit_refuses_too_little_data_and_label_chosen_thresholds() {
    let device = default_device();
    let few = WindowDataset::new(vec![0.0; 3 * 40], 40, 1, vec![false; 3]).unwrap();
    let err = DetectorConfig::default().fit(&few, &device).unwrap_err();
    assert!(err.to_string().contains("too few"), "{err}");
    let config = DetectorConfig {
        threshold: ThresholdMethod::LabelledBestF1,
        ..Default::default()
    };
    assert!(config.fit(&few, &device).is_err());
}

/// The same fitted model with its score put in context: each beat against its own recording,
/// fused with its rhythm, the fit on the held-out normal beats of a normal recording.
fn in_context(detector: &Detector, context: ContextConfig) -> Detector {
    let normal = record(125.0, 120.0, 0.0, 15);
    let processed = detector
        .pipeline()
        .run(&normal.ecg.leads[0], 125.0)
        .unwrap();
    let verdicts = detector.detect(&processed).unwrap();
    let model_scores: Vec<f64> = verdicts.iter().map(|v| v.model_score).collect();
    let beats = processed.context().unwrap();
    let fitted = ContextScore::fit(context, &model_scores, Some(&beats)).unwrap();
    let scores = fitted.apply(&model_scores, Some(&beats)).unwrap();
    let mut parts = detector.clone().into_parts();
    parts.config.context = context;
    parts.context = fitted;
    parts.calibration = Calibration::fit(&scores).unwrap();
    parts.threshold = Threshold::fit(ThresholdMethod::Percentile { q: 95.0 }, &scores).unwrap();
    Detector::from_parts(parts).unwrap()
}

#[test]
fn the_rhythm_and_the_recordings_own_beats_catch_premature_beats_the_shape_misses() {
    let plain = detector();
    let test = record(125.0, 180.0, 0.15, 12);
    let lead = &test.ecg.leads[0];
    // Per kind of beat: the mean share of normal beats scored below it.
    let ranks = |detector: &Detector| {
        let verdicts = detector.detect_signal(lead, 125.0).unwrap();
        let tolerance = 12;
        let mut normal = Vec::new();
        let mut kinds = Vec::new();
        for v in &verdicts {
            let at = v.position.unwrap();
            let Some(beat) = test
                .beats
                .iter()
                .find(|b| b.r_peak.abs_diff(at) <= tolerance)
            else {
                continue;
            };
            match beat.kind {
                BeatKind::Normal => normal.push(v.score),
                kind => kinds.push((kind, v.score)),
            }
        }
        let below = |s: f64| normal.iter().filter(|&&n| n < s).count() as f64 / normal.len() as f64;
        let mut out = std::collections::BTreeMap::new();
        for (kind, score) in kinds {
            out.entry(format!("{kind:?}"))
                .or_insert_with(Vec::new)
                .push(below(score));
        }
        let means: std::collections::BTreeMap<String, f64> = out
            .into_iter()
            .map(|(k, v)| (k.clone(), v.iter().sum::<f64>() / v.len() as f64))
            .collect();
        (verdicts, means)
    };
    let (plain_verdicts, plain_ranks) = ranks(plain);
    for (rhythm, reference, fusion) in [
        (false, Reference::Record, Fusion::Mean),
        (true, Reference::Record, Fusion::Mean),
        (true, Reference::Running { beats: 100 }, Fusion::Mean),
    ] {
        let context = ContextConfig {
            rhythm,
            template: false,
            reference,
            fusion,
        };
        let detector = in_context(plain, context);
        let (verdicts, context_ranks) = ranks(&detector);
        if rhythm {
            // Premature beats (atrial, ventricular, junctional) rise among the normal ones, or
            // stay above all of them (the shape alone can already put PVCs there: which it
            // does depends on the shared detector's weights, and those on the other fits the
            // test binary runs at the same time, as Burn's CPU generator is process-wide).
            for kind in ["Apc", "Pvc", "MissingP"] {
                let (now, before) = (context_ranks[kind], plain_ranks[kind]);
                assert!(
                    now > before || now == 1.0,
                    "{context:?} {kind}: {now} <= {before}"
                );
            }
        } else {
            // One recording as its own reference changes no beat's rank.
            assert_eq!(context_ranks, plain_ranks, "{context:?}");
        }
        for (v, p) in verdicts.iter().zip(&plain_verdicts) {
            assert_eq!(
                v.model_score, p.model_score,
                "the model's own score is kept"
            );
            assert!(v.score.is_finite());
        }
        // Saved and loaded, the context comes back with the detector.
        let dir = crate::common::temp_path("detector-fit", "context");
        detector.save(&dir).unwrap();
        let loaded = Detector::load(&dir, &default_device()).unwrap();
        assert_eq!(loaded.detect_signal(lead, 125.0).unwrap(), verdicts);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
