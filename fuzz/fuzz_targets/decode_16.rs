//! The format-16 decoder on arbitrary signal-file bytes: a two-signal record whose sample
//! count is inferred from the file, then one whose header declares a count and a byte offset
//! taken from the input, and a sample range: `Ok` or `Err`, never a panic.
#![no_main]

use std::path::Path;

use ecg_anomaly::data::wfdb::{Header, decode_signals, decode_signals_range};
use libfuzzer_sys::fuzz_target;

fn header(text: &str) -> Header {
    Header::parse(text.as_bytes(), Path::new("fuzz.hea")).expect("a valid header")
}

fuzz_target!(|data: &[u8]| {
    let inferred = header("f 2 360\nf.dat 16 200 11 0 0 0 0 MLII\nf.dat 16 200 11 0 0 0 0 V5\n");
    if let Ok(signals) = decode_signals(&inferred, &[data]) {
        assert_eq!(signals.len(), 2);
        assert_eq!(signals[0].len(), signals[1].len());
    }
    let [a, b, c, rest @ ..] = data else {
        return;
    };
    let (n, offset) = (usize::from(*a) * 7 + 1, usize::from(*b % 16));
    let declared = header(&format!(
        "f 2 360 {n}\nf.dat 16+{offset} 200 11 0 0 0 0 MLII\nf.dat 16+{offset} 200 11 0 0 0 0 V5\n"
    ));
    let _ = decode_signals(&declared, &[rest]);
    let start = usize::from(*c) % (n + 1);
    let _ = decode_signals_range(&declared, &[rest], start..n);
    let _ = decode_signals_range(&declared, &[rest], n..start);
});
