//! The configurations of the data half (`BeatPipeline`, `ThresholdMethod`) as JSON on
//! arbitrary bytes: parsing and `validate()` give `Ok` or `Err`, never a panic. A pipeline that
//! validates then runs on 10 s of synthetic ECG at a rate picked by the first byte: `Ok` or a
//! typed error, never a panic, an abort or unbounded memory (the bounds policy of the README's
//! "Reliability" section); a threshold rule that validates fits on a few scores.
#![no_main]

use std::sync::OnceLock;

use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
use ecg_anomaly::preprocess::BeatPipeline;
use ecg_anomaly::threshold::{Threshold, ThresholdMethod};
use libfuzzer_sys::fuzz_target;

/// Rates the crate itself uses (the synthetic examples, MIT-BIH, the study's beats).
const RATES: [f64; 4] = [125.0, 180.0, 360.0, 1000.0];

fn leads() -> &'static Vec<Vec<f32>> {
    static LEADS: OnceLock<Vec<Vec<f32>>> = OnceLock::new();
    LEADS.get_or_init(|| {
        RATES
            .iter()
            .map(|&fs| {
                let config = SyntheticConfig {
                    fs,
                    length: SyntheticLength::Seconds(10.0),
                    ..SyntheticConfig::default()
                };
                generate(&config).expect("synthetic ECG").ecg.leads[0].clone()
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, json)) = data.split_first() else {
        return;
    };
    if let Ok(pipeline) = serde_json::from_slice::<BeatPipeline>(json)
        && pipeline.validate().is_ok()
    {
        let k = usize::from(choice) % RATES.len();
        if let Ok(processed) = pipeline.run(&leads()[k], RATES[k]) {
            assert_eq!(processed.quality.len(), processed.count());
            assert_eq!(processed.no_beats().is_none(), processed.count() > 0);
        }
    }
    if let Ok(method) = serde_json::from_slice::<ThresholdMethod>(json)
        && method.validate().is_ok()
        && let Ok(threshold) = Threshold::fit(method, &[0.1, 0.5, 0.2, 3.0])
    {
        assert!(threshold.value.is_finite());
    }
});
