//! The streaming detector against the offline path: fed a recording in chunks of any size, it
//! finds the beats `detect_signal` finds and scores them alike, within a bounded delay.
#![cfg(feature = "burn")]

use std::sync::{Arc, OnceLock};

use ecg_anomaly::prelude::*;
use ecg_anomaly::score::{ContextConfig, ContextScore, Reference};
use ecg_anomaly::stream::{StreamConfig, StreamVerdict, StreamingDetector};

use crate::common::synthetic as record;

/// A small detector with the rhythm in its context, fitted on 4 minutes at 125 Hz.
fn detector() -> Arc<Detector> {
    static DETECTOR: OnceLock<Arc<Detector>> = OnceLock::new();
    DETECTOR
        .get_or_init(|| {
            let train = record(125.0, 240.0, 0.02, 21);
            let config = DetectorConfig {
                context: ContextConfig {
                    rhythm: true,
                    ..Default::default()
                },
                ..crate::common::quick_lstm_config(16, 32, 3)
            };
            let fitted = config
                .fit_signal(&train.ecg.leads[0], train.ecg.fs, &default_device())
                .unwrap();
            Arc::new(fitted)
        })
        .clone()
}

/// The same detector judging against the last 60 beats of its recording.
fn running(detector: &Detector) -> Arc<Detector> {
    let mut parts = detector.clone().into_parts();
    let config = ContextConfig {
        reference: Reference::Running { beats: 60 },
        ..parts.context.config
    };
    parts.context = ContextScore {
        config,
        ..parts.context
    };
    parts.config.context = config;
    Arc::new(Detector::from_parts(parts).unwrap())
}

/// Feeds `signal` in chunks whose sizes cycle through `sizes`, then finishes.
fn stream(detector: Arc<Detector>, signal: &[f32], fs: f64, sizes: &[usize]) -> Vec<StreamVerdict> {
    stream_with(detector, signal, fs, sizes, StreamConfig::default())
}

fn stream_with(
    detector: Arc<Detector>,
    signal: &[f32],
    fs: f64,
    sizes: &[usize],
    config: StreamConfig,
) -> Vec<StreamVerdict> {
    let mut stream = StreamingDetector::new(detector, fs, config).unwrap();
    let mut out = Vec::new();
    let mut rest = signal;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        out.extend(stream.push(chunk).unwrap());
        rest = tail;
    }
    out.extend(stream.finish().unwrap());
    assert_eq!(stream.judged(), out.len());
    out
}

/// What the stream found beside what `detect_signal` found.
struct Comparison {
    offline: usize,
    streamed: usize,
    /// Offline beats the stream judged too (R-peaks within `tolerance` samples).
    matched: usize,
    /// Of the matched beats: the largest relative difference of the model's score, the
    /// largest difference of the score in context (a z-score: absolute below 1, relative
    /// above), how many flags differ.
    model_diff: f64,
    context_diff: f64,
    flags_differ: usize,
}

fn compare(offline: &[Verdict], streamed: &[StreamVerdict], tolerance: usize) -> Comparison {
    let mut c = Comparison {
        offline: offline.len(),
        streamed: streamed.len(),
        matched: 0,
        model_diff: 0.0,
        context_diff: 0.0,
        flags_differ: 0,
    };
    let relative = |a: f64, b: f64| (a - b).abs() / a.abs().max(b.abs()).max(1e-3);
    // Scores in context are z-scores: absolute below 1, relative above.
    let in_z = |a: f64, b: f64| (a - b).abs() / a.abs().max(b.abs()).max(1.0);
    let mut j = 0;
    for v in offline {
        let p = v.position.unwrap();
        while j < streamed.len() && streamed[j].verdict.position.unwrap() + tolerance < p {
            j += 1;
        }
        let Some(s) = streamed.get(j).map(|s| &s.verdict) else {
            break;
        };
        if s.position.unwrap().abs_diff(p) <= tolerance {
            c.matched += 1;
            c.model_diff = c.model_diff.max(relative(v.model_score, s.model_score));
            c.context_diff = c.context_diff.max(in_z(v.score, s.score));
            c.flags_differ += usize::from(v.anomaly != s.anomaly);
        }
    }
    c
}

fn check_delays(streamed: &[StreamVerdict], fs: f64, max_delay_s: f64, total: usize) {
    for s in streamed {
        let position = s.verdict.position.unwrap();
        let delay = s.decided_at as f64 - position as f64;
        // The last beats are judged when the stream ends, whenever that is.
        if s.decided_at < total {
            assert!(
                delay >= 0.0 && delay <= max_delay_s * fs + 1.0,
                "beat at {position} judged at {}: {delay} samples late",
                s.decided_at
            );
        }
    }
    for w in streamed.windows(2) {
        assert!(w[1].verdict.position > w[0].verdict.position);
        assert_eq!(w[1].verdict.index, w[0].verdict.index + 1);
    }
}

#[test]
fn a_synthetic_stream_finds_and_scores_the_offline_beats() {
    let detector = detector();
    for (fs, sizes) in [(125.0, &[1usize, 7, 300, 2][..]), (250.0, &[4000, 13][..])] {
        let test = record(fs, 150.0, 0.1, 22);
        let lead = &test.ecg.leads[0];
        let offline = detector.detect_signal(lead, fs).unwrap();
        let streamed = stream(detector.clone(), lead, fs, sizes);
        let c = compare(&offline, &streamed, 1);
        assert!(c.offline > 150, "{} beats", c.offline);
        assert!(
            c.matched + 1 >= c.offline && c.streamed <= c.offline + 1,
            "{fs} Hz: {} offline, {} streamed, {} matched",
            c.offline,
            c.streamed,
            c.matched
        );
        assert!(
            c.model_diff < 0.002 && c.context_diff < 0.02 && c.flags_differ <= 1,
            "{fs} Hz: scores differ by {:.4} (model) and {:.4} (in context); {} flags",
            c.model_diff,
            c.context_diff,
            c.flags_differ
        );
        let max_delay = StreamingDetector::new(detector.clone(), fs, StreamConfig::default())
            .unwrap()
            .max_delay_s();
        check_delays(&streamed, fs, max_delay, lead.len());
    }
}

#[test]
fn a_running_reference_streams_like_it_runs_offline() {
    let detector = running(&detector());
    let test = record(125.0, 120.0, 0.1, 23);
    let lead = &test.ecg.leads[0];
    let offline = detector.detect_signal(lead, 125.0).unwrap();
    let streamed = stream(detector, lead, 125.0, &[125]);
    let c = compare(&offline, &streamed, 1);
    assert!(c.matched + 1 >= c.offline, "{} of {}", c.matched, c.offline);
    assert!(c.context_diff < 0.02, "{:.4}", c.context_diff);
}

#[test]
fn bad_samples_and_settings_are_errors_and_the_stream_goes_on() {
    let detector = detector();
    let mut stream =
        StreamingDetector::new(detector.clone(), 125.0, StreamConfig::default()).unwrap();
    let lead = record(125.0, 20.0, 0.0, 24).ecg.leads[0].clone();
    stream.push(&lead[..1000]).unwrap();
    let mut bad = lead[1000..1100].to_vec();
    bad[7] = f32::NAN;
    match stream.push(&bad) {
        Err(Error::Signal { sample, .. }) => assert_eq!(sample, 1007),
        other => panic!("{other:?}"),
    }
    assert_eq!(stream.received(), 1000, "a rejected chunk changes nothing");
    let judged = stream.push(&lead[1000..]).unwrap().len() + stream.finish().unwrap().len();
    assert!(judged > 15, "{judged} beats in 20 s");
    assert!(stream.push(&lead[..10]).is_err(), "push after finish");
    for config in [
        StreamConfig {
            hop_s: 0.0,
            ..Default::default()
        },
        StreamConfig {
            buffer_s: 1.0,
            ..Default::default()
        },
        StreamConfig {
            settle_s: f64::NAN,
            ..Default::default()
        },
    ] {
        assert!(
            StreamingDetector::new(detector.clone(), 125.0, config).is_err(),
            "{config:?}"
        );
    }
    assert!(StreamingDetector::new(detector, 0.0, StreamConfig::default()).is_err());
}

/// Issue 29: sizes from a configuration are bounded before anything is allocated (a history
/// of 10^12 beats aborted the process at the first beat), a rate in kHz is refused with a hint,
/// and a stream that judged no beat says why at its end.
#[test]
fn unbounded_settings_and_rates_are_refused_and_a_beatless_stream_says_why() {
    let detector = detector();
    let huge = 1_000_000_000_000usize;
    let config = StreamConfig {
        record_beats: huge,
        ..Default::default()
    };
    let err = StreamingDetector::new(detector.clone(), 125.0, config).unwrap_err();
    assert!(err.to_string().contains("record_beats"), "{err}");
    assert!(config.validate().is_err());
    StreamConfig::default().validate().unwrap();
    // A running reference of 10^12 beats is refused where the detector is put together.
    let mut parts = (*detector).clone().into_parts();
    let reference = Reference::Running { beats: huge };
    parts.context.config.reference = reference;
    parts.config.context.reference = reference;
    let err = Detector::from_parts(parts).unwrap_err().to_string();
    assert!(err.contains("context.reference.beats"), "{err}");
    // A rate in kHz: an error at once, with the rate in Hz.
    let err = StreamingDetector::new(detector.clone(), 0.125, StreamConfig::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("0.125 kHz is 125 Hz"), "{err}");
    // Twenty seconds of a flat lead: no beat, and the stream says why at its end.
    let mut stream =
        StreamingDetector::new(detector.clone(), 125.0, StreamConfig::default()).unwrap();
    assert!(stream.push(&[0.3; 2500]).unwrap().is_empty());
    let err = stream.finish().unwrap_err();
    assert!(
        matches!(err, Error::NoBeats(NoBeats::NoPeaks { .. })),
        "{err}"
    );
    // Shorter than a beat window.
    let mut stream = StreamingDetector::new(detector, 125.0, StreamConfig::default()).unwrap();
    stream.push(&[0.3; 50]).unwrap();
    let err = stream.finish().unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoBeats(NoBeats::WindowLongerThanSignal { samples: 50, .. })
        ),
        "{err}"
    );
}

#[test]
fn mitbih_records_stream_like_they_run_offline() {
    let Some(dir) = crate::common::mitdb_dir("mitbih_records_stream_like_they_run_offline") else {
        return;
    };
    let detector = detector();
    // Normal rhythm, bigeminy (many PVCs), a noisy record with many PVCs and fusion beats.
    for name in ["100", "119", "208"] {
        let ecg = read_ecg(dir.join(name)).unwrap();
        let lead = &ecg.leads[0][..(ecg.fs * 600.0) as usize];
        let offline = detector.detect_signal(lead, ecg.fs).unwrap();
        let streamed = stream(detector.clone(), lead, ecg.fs, &[36, 360, 5000]);
        let c = compare(&offline, &streamed, 1);
        eprintln!(
            "record {name}: {} offline, {} streamed, {} matched; scores differ by at most \
             {:.2e} (model) and {:.2e} (in context); {} flags differ",
            c.offline, c.streamed, c.matched, c.model_diff, c.context_diff, c.flags_differ
        );
        let found = c.matched as f64 / c.offline as f64;
        let extra = c.streamed.saturating_sub(c.matched) as f64 / c.offline as f64;
        assert!(
            found >= 0.995 && extra <= 0.005,
            "record {name}: {found} found, {extra} extra"
        );
        assert!(c.model_diff < 0.002, "record {name}: {}", c.model_diff);
        assert!(c.context_diff < 0.02, "record {name}: {}", c.context_diff);
        assert!(
            c.flags_differ * 100 <= c.matched,
            "record {name}: {} flags",
            c.flags_differ
        );
    }
}
