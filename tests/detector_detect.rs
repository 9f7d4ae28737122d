//! `Detector::detect` on generated beats: normalise, score, calibrate and flag, the same after a
//! save and load, and clear errors for input that is not whole windows of finite samples.

use ecg_anomaly::Error;
use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
use ecg_anomaly::detector::{Detector, Metadata, ModelSpec, fingerprint};
use ecg_anomaly::model::LstmAutoencoderConfig;
use ecg_anomaly::preprocess::{Normalization, ZScore};
use ecg_anomaly::score::{Calibration, ReconstructionError};
use ecg_anomaly::threshold::{Threshold, ThresholdMethod};

const SEQ: usize = 32;

/// Consecutive 32-sample windows of a synthetic ECG, in mV.
fn windows(count: usize) -> Vec<f32> {
    let config = SyntheticConfig {
        length: SyntheticLength::Seconds(10.0),
        seed: 3,
        ..Default::default()
    };
    let lead = generate(&config).unwrap().ecg.leads.remove(0);
    lead[..count * SEQ].to_vec()
}

/// An untrained detector whose calibration and threshold are fitted on its own scores of
/// `normal`, as a training run fits them on validation windows.
fn detector(normal: &[f32]) -> Detector {
    let device = ecg_anomaly::device::default_device();
    let spec = ModelSpec::LstmAutoencoder(LstmAutoencoderConfig {
        hidden: 8,
        latent: 4,
        ..Default::default()
    });
    let normalizer = Normalization::GlobalZScore(ZScore::fit(normal).unwrap());
    let mut detector = Detector {
        model: spec.init(&device).unwrap(),
        metadata: Metadata::new(&spec, SEQ, 360.0, "MLII", 1, fingerprint(normal)),
        spec,
        normalizer,
        score: ReconstructionError::Mse.into(),
        calibration: Calibration::fit(&[0.0, 1.0]).unwrap(),
        threshold: Threshold::fit(ThresholdMethod::Fixed { value: 0.0 }, &[]).unwrap(),
    };
    let scores: Vec<f64> = detector
        .detect(normal, 16, &device)
        .unwrap()
        .iter()
        .map(|v| v.score)
        .collect();
    detector.calibration = Calibration::fit(&scores).unwrap();
    detector.threshold = Threshold::fit(ThresholdMethod::Percentile { q: 90.0 }, &scores).unwrap();
    detector
}

#[test]
fn verdicts_follow_the_calibration_and_threshold_and_survive_a_reload() {
    let device = ecg_anomaly::device::default_device();
    let normal = windows(40);
    let detector = detector(&normal);
    let verdicts = detector.detect(&normal, 7, &device).unwrap();
    assert_eq!(verdicts.len(), 40);
    let flagged = verdicts.iter().filter(|v| v.anomaly).count();
    assert_eq!(flagged, 4, "the 90th percentile flags 4 of 40 windows");
    for v in &verdicts {
        assert!((0.0..=1.0).contains(&v.calibrated));
        assert_eq!(v.anomaly, v.score > detector.threshold.value);
    }
    // A window far from the training data scores above every normal one.
    let mut odd = normal[..SEQ].to_vec();
    odd.iter_mut()
        .enumerate()
        .for_each(|(i, v)| *v += if i % 2 == 0 { 3.0 } else { -3.0 });
    let odd = detector.detect(&odd, 1, &device).unwrap()[0];
    assert!(odd.anomaly && odd.calibrated == 1.0, "{odd:?}");

    let dir = std::env::temp_dir().join(format!("ecg-detect-{}", std::process::id()));
    detector.save(&dir).unwrap();
    let loaded = Detector::load(&dir, &device).unwrap();
    assert_eq!(loaded.detect(&normal, 256, &device).unwrap(), verdicts);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn input_that_is_not_whole_finite_windows_is_an_error() {
    let device = ecg_anomaly::device::default_device();
    let normal = windows(8);
    let detector = detector(&normal);
    let err = detector.detect(&normal[..SEQ + 3], 4, &device).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "windows",
                ..
            }
        ),
        "{err}"
    );
    assert!(detector.detect(&[], 4, &device).is_err());
    let mut bad = normal.clone();
    bad[37] = f32::NAN;
    match detector.detect(&bad, 4, &device).unwrap_err() {
        Error::Signal { sample, .. } => assert_eq!(sample, 37),
        other => panic!("expected a signal error, got {other}"),
    }
    let err = detector.detect(&normal, 0, &device).unwrap_err();
    assert!(err.to_string().contains("batch_size"), "{err}");
}
