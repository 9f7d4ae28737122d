//! The EDF/EDF+/BDF reader on arbitrary bytes, with small limits: `Ok` or `Err`, never a
//! panic; what it reads holds the samples its header declares, and its ECG is finite.
#![no_main]

use std::path::Path;

use ecg_anomaly::data::edf::parse_edf;
use ecg_anomaly::limits::ReadLimits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits {
        max_signals: 64,
        max_samples: 1 << 20,
        max_annotations: 10_000,
        ..ReadLimits::default()
    };
    let path = Path::new("fuzz.edf");
    if let Ok(file) = parse_edf(data, path, &limits) {
        for (i, s) in file.header.signals.iter().enumerate() {
            if !s.is_annotation() {
                assert_eq!(file.len(i), s.samples_per_record * file.header.records);
            }
        }
        assert_eq!(file.record_starts.len(), file.header.records);
        assert!(file.annotations.len() <= limits.max_annotations);
        let _ = file.segments();
        if let Ok(ecg) = file.to_ecg(path, None) {
            assert!(ecg.leads.iter().all(|l| l.len() == ecg.len()));
        }
    }
});
