//! The MIT-format annotation parser on arbitrary bytes: `Ok` or `Err`, never a panic, and
//! never more annotations than words.
#![no_main]

use std::path::Path;

use ecg_anomaly::data::wfdb::parse_annotations;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(annotations) = parse_annotations(data, Path::new("fuzz.atr")) {
        assert!(annotations.len() <= data.len() / 2);
    }
});
