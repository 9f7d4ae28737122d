//! The WFDB header parser on arbitrary bytes: `Ok` or `Err`, never a panic.
#![no_main]

use std::path::Path;

use ecg_anomaly::data::wfdb::Header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = Header::parse(data, Path::new("fuzz.hea")) {
        // Whatever parsed must also group, and name signals that exist.
        let groups = header.groups();
        assert!(groups.iter().all(|g| g.signals.end <= header.signals.len()));
    }
});
