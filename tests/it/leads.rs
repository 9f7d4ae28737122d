//! Several leads (issue 30): `DetectorConfig::leads`, `fit_ecg` and `detect_ecg` on a two-lead
//! record, the windows' channels, the saved detector's leads, and the errors for a missing or
//! repeated lead; MIT-BIH record 100's MLII + V5 when `ECG_DATA_DIR` is set.
#![cfg(feature = "burn")]

use std::sync::OnceLock;

use ecg_anomaly::data::Ecg;
use ecg_anomaly::detector::BeatSource;
use ecg_anomaly::prelude::*;

/// A two-lead record of leads `A` and `B` ([`two_leads`](crate::common::two_leads)).
fn two_leads(fs: f64, seconds: f64, seed: u64) -> Ecg {
    crate::common::two_leads(fs, seconds, seed, ["A", "B"])
}

fn names(leads: &[&str]) -> Vec<String> {
    leads.iter().map(|s| s.to_string()).collect()
}

/// One detector on leads A and B, fitted on 3 minutes at 125 Hz (resampled to 180 Hz).
fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        let config = DetectorConfig {
            leads: names(&["A", "B"]),
            ..crate::common::small_detector_config(7)
        };
        config
            .fit_ecg(&two_leads(125.0, 180.0, 21), &default_device())
            .unwrap()
    })
}

#[test]
fn a_two_lead_detector_records_its_leads_and_judges_the_same_after_loading() {
    let detector = detector();
    let meta = detector.metadata();
    assert_eq!((meta.channels, meta.leads.clone()), (2, names(&["A", "B"])));
    assert_eq!(detector.config().model.channels(), 2);
    assert_eq!(detector.config().leads, names(&["A", "B"]));

    let test = two_leads(125.0, 60.0, 22);
    let before = detector.detect_ecg(&test).unwrap();
    assert!(before.len() > 50, "{} verdicts", before.len());
    assert!(
        before
            .iter()
            .all(|v| v.score.is_finite() && v.position.is_some())
    );
    let dir = crate::common::temp_path("leads", "saved");
    detector.save(&dir).unwrap();
    let loaded = Detector::load(&dir, &default_device()).unwrap();
    assert_eq!(loaded.metadata().leads, names(&["A", "B"]));
    assert_eq!(loaded.detect_ecg(&test).unwrap(), before);

    // Leads are picked by name: the record's order does not matter.
    let swapped = Ecg {
        fs: test.fs,
        lead_names: names(&["B", "A"]),
        leads: vec![test.leads[1].clone(), test.leads[0].clone()],
    };
    assert_eq!(loaded.detect_ecg(&swapped).unwrap(), before);

    // One lead is not enough for it, and the error says what to do.
    let err = loaded.detect_signal(&test.leads[0], test.fs).unwrap_err();
    assert!(err.to_string().contains("detect_ecg"), "{err}");

    // A folder whose metadata names fewer leads than channels is refused.
    let path = dir.join("metadata.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["leads"] = serde_json::json!(["A"]);
    std::fs::write(&path, v.to_string()).unwrap();
    let err = Detector::load(&dir, &default_device())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("metadata.json") && err.contains("1 leads (A) for 2 channels"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_channel_of_the_windows_is_its_lead_cut_at_the_first_leads_peaks() {
    let ecg = two_leads(250.0, 60.0, 23);
    let pipeline = BeatPipeline::default();
    let (a, b) = (ecg.leads[0].as_slice(), ecg.leads[1].as_slice());
    let both = pipeline.run_leads(&[a, b], ecg.fs).unwrap();
    let first = pipeline.run(a, ecg.fs).unwrap();
    let second = pipeline.run_at(b, ecg.fs, &both.peaks).unwrap();
    assert_eq!(both.peaks, first.peaks);
    assert!(both.count() > 50);
    let windows = both.windows().unwrap();
    assert_eq!((windows.seq(), windows.channels()), (first.beats.len, 2));
    for i in 0..both.count() {
        let window = windows.window(i).unwrap();
        let lead = |k: usize| {
            window
                .iter()
                .skip(k)
                .step_by(2)
                .copied()
                .collect::<Vec<f32>>()
        };
        assert_eq!(lead(0), first.beats.get(i).unwrap(), "beat {i}, lead A");
        assert_eq!(lead(1), second.beats.get(i).unwrap(), "beat {i}, lead B");
        assert_eq!(both.quality[i], first.quality[i] && second.quality[i]);
    }
    // The same through `select_leads`, and with the detector's resampling pipeline.
    let picked = ecg.select_leads(&["A", "B"]).unwrap();
    assert_eq!(pipeline.run_leads(&picked, ecg.fs).unwrap(), both);
    let resampling = DetectorConfig::default().pipeline;
    let at_180 = resampling.run_leads(&picked, ecg.fs).unwrap();
    assert_eq!(at_180.beats, resampling.run(a, ecg.fs).unwrap().beats);
    assert_eq!(at_180.windows().unwrap().channels(), 2);
}

#[test]
fn a_missing_or_repeated_lead_is_a_clear_error() {
    let detector = detector();
    let mut only_a = two_leads(125.0, 30.0, 24);
    only_a.lead_names = names(&["A", "C"]);
    let err = detector.detect_ecg(&only_a).unwrap_err().to_string();
    assert!(err.contains("\"B\"") && err.contains("A, C"), "{err}");

    let config = DetectorConfig {
        leads: names(&["A", "B"]),
        ..crate::common::tiny_detector_config()
    };
    let err = config
        .fit_ecg(&only_a, &default_device())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no lead \"B\"") && err.contains("A, C"),
        "{err}"
    );

    let repeated = DetectorConfig {
        leads: names(&["A", "B", "A"]),
        ..crate::common::tiny_detector_config()
    };
    let err = repeated.validate().unwrap_err().to_string();
    assert!(err.contains("\"A\" is named twice"), "{err}");
    assert!(
        repeated
            .fit_ecg(&two_leads(125.0, 30.0, 25), &default_device())
            .is_err()
    );

    // Several leads named, one-channel windows given: refused rather than mislabelled.
    let err = config
        .fit_signal(&only_a.leads[0], only_a.fs, &default_device())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2 leads") && err.contains("1 channels"),
        "{err}"
    );

    // A single raw lead given to it is refused.
    assert!(detector.detect_signal(&only_a.leads[0], only_a.fs).is_err());
}

/// A stream of two-lead frames finds the beats `detect_ecg` finds and scores them as it does:
/// within a sample and 0.2 % at 125 Hz (the buffer resampled as it grows, as one lead streams),
/// within two samples and 1 % at 200.5 Hz (resampled whole at each step: off the pipeline's
/// grid the trimmed buffer starts between two of its samples). Bad chunks are refused, naming the lead,
/// and change nothing.
#[test]
fn a_stream_of_two_lead_frames_judges_as_detect_ecg_does() {
    use ecg_anomaly::stream::{StreamConfig, StreamingDetector};
    let shared = std::sync::Arc::new(detector().clone());
    for (fs, tolerance, samples) in [(125.0, 2e-3, 1), (200.5, 1e-2, 2)] {
        let test = two_leads(fs, 90.0, 28);
        let offline = detector().detect_ecg(&test).unwrap();
        let mut stream =
            StreamingDetector::new(shared.clone(), fs, StreamConfig::default()).unwrap();
        assert_eq!(stream.channels(), 2);
        let frames: Vec<f32> = (0..test.len())
            .flat_map(|t| [test.leads[0][t], test.leads[1][t]])
            .collect();
        let mut streamed = Vec::new();
        for chunk in frames.chunks(2 * 97) {
            streamed.extend(stream.push(chunk).unwrap());
        }
        assert!(stream.push(&frames[..3]).is_err(), "not whole frames");
        let mut bad = frames[..8].to_vec();
        bad[5] = f32::NAN;
        let err = stream.push(&bad).unwrap_err().to_string();
        assert!(err.contains("lead B"), "{err}");
        assert_eq!(
            stream.received(),
            test.len(),
            "a rejected chunk changes nothing"
        );
        streamed.extend(stream.finish().unwrap());
        assert!(offline.len() > 80, "{} beats", offline.len());
        assert!(
            streamed.len() + 1 >= offline.len() && streamed.len() <= offline.len() + 1,
            "{fs} Hz: {} streamed, {} offline",
            streamed.len(),
            offline.len()
        );
        let mut matched = 0;
        for s in &streamed {
            let p = s.verdict.position.unwrap();
            let Some(v) = offline
                .iter()
                .find(|v| v.position.unwrap().abs_diff(p) <= samples)
            else {
                continue;
            };
            matched += 1;
            let diff = (s.verdict.model_score - v.model_score).abs() / v.model_score.abs();
            assert!(
                diff < tolerance,
                "{fs} Hz, beat at {p}: {diff:.4}: {s:?} vs {v:?}"
            );
            assert_eq!(s.verdict.usable, v.usable, "{fs} Hz, beat at {p}");
        }
        assert!(matched + 1 >= offline.len(), "{fs} Hz: {matched} matched");
    }
}

#[test]
fn without_leads_fit_ecg_takes_one_lead_as_fit_signal_does() {
    let ecg = two_leads(125.0, 120.0, 26);
    let device = default_device();
    let config = crate::common::tiny_detector_config();
    let detector = config.fit_ecg(&ecg, &device).unwrap();
    let meta = detector.metadata();
    assert_eq!((meta.channels, meta.lead.as_deref()), (1, Some("A")));
    assert!(meta.leads.is_empty());
    let direct = DetectorConfig {
        lead: Some("A".into()),
        ..config.clone()
    }
    .fit_signal(&ecg.leads[0], ecg.fs, &device)
    .unwrap();
    let test = two_leads(125.0, 30.0, 27);
    let verdicts = detector.detect_ecg(&test).unwrap();
    assert_eq!(
        verdicts,
        direct.detect_signal(&test.leads[0], test.fs).unwrap()
    );
    // Its lead, found by name; a record without it is judged on its first lead.
    let swapped = Ecg {
        fs: test.fs,
        lead_names: names(&["B", "A"]),
        leads: vec![test.leads[1].clone(), test.leads[0].clone()],
    };
    assert_eq!(detector.detect_ecg(&swapped).unwrap(), verdicts);
    // The lead named in `lead` is the one fitted on.
    let on_b = DetectorConfig {
        lead: Some("B".into()),
        ..config
    }
    .fit_ecg(&ecg, &device)
    .unwrap();
    assert_eq!(on_b.metadata().lead.as_deref(), Some("B"));
}

#[test]
fn mitdb_100_on_mlii_and_v5_judges_every_beat_after_its_first_ten_minutes() {
    let Some(dir) = crate::common::mitdb_dir("leads::mitdb_100") else {
        return;
    };
    let ecg = ecg_anomaly::data::wfdb::read_ecg(dir.join("100")).unwrap();
    assert_eq!(ecg.lead_names, names(&["MLII", "V5"]));
    let split = (600.0 * ecg.fs) as usize;
    let part = |range: std::ops::Range<usize>| Ecg {
        fs: ecg.fs,
        lead_names: ecg.lead_names.clone(),
        leads: ecg
            .leads
            .iter()
            .map(|l| l[range.clone()].to_vec())
            .collect(),
    };
    let (train, rest) = (part(0..split), part(split..ecg.len()));
    let config = DetectorConfig {
        leads: names(&["MLII", "V5"]),
        ..crate::common::small_detector_config(3)
    };
    let detector = config.fit_ecg(&train, &default_device()).unwrap();
    assert_eq!(detector.metadata().channels, 2);
    let verdicts = detector.detect_ecg(&rest).unwrap();
    let leads = rest.select_leads(&["MLII", "V5"]).unwrap();
    let beats = detector
        .pipeline()
        .run_leads(&leads, rest.fs)
        .unwrap()
        .count();
    assert_eq!(verdicts.len(), beats, "a verdict for every beat");
    // About 20 minutes at 75 bpm; record 100 has 2273 beats in its 30 minutes.
    assert!(beats > 1300, "{beats} beats");
    assert!(
        verdicts
            .iter()
            .all(|v| v.score.is_finite() && v.calibrated.is_finite())
    );
    let usable = verdicts.iter().filter(|v| v.usable).count();
    assert!(
        usable > beats * 9 / 10,
        "{usable} of {beats} usable on both leads"
    );
}
