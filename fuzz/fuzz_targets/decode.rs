//! The body shared by the `decode_16` and `decode_212` targets (not a target itself).

use std::path::Path;

use ecg_anomaly::data::wfdb::{Header, decode_signals, decode_signals_range};

fn header(text: &str) -> Header {
    Header::parse(text.as_bytes(), Path::new("fuzz.hea")).expect("a valid header")
}

/// Decodes `data` as a two-signal record in WFDB `format` (`"16"`, `"212"`), with the sample
/// count inferred, then declared with a byte offset from the input, then as ranges.
pub fn run(format: &str, data: &[u8]) {
    let inferred = header(&format!(
        "f 2 360\nf.dat {format} 200 11 0 0 0 0 MLII\nf.dat {format} 200 11 0 0 0 0 V5\n"
    ));
    if let Ok(signals) = decode_signals(&inferred, &[data]) {
        assert_eq!(signals.len(), 2);
        assert_eq!(signals[0].len(), signals[1].len());
    }
    let [a, b, c, rest @ ..] = data else {
        return;
    };
    let (n, offset) = (usize::from(*a) * 7 + 1, usize::from(*b % 16));
    let declared = header(&format!(
        "f 2 360 {n}\nf.dat {format}+{offset} 200 11 0 0 0 0 MLII\nf.dat {format}+{offset} 200 11 0 0 0 0 V5\n"
    ));
    let _ = decode_signals(&declared, &[rest]);
    let start = usize::from(*c) % (n + 1);
    let _ = decode_signals_range(&declared, &[rest], start..n);
    let _ = decode_signals_range(&declared, &[rest], n..start);
}
