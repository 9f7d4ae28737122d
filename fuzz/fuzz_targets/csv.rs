//! The CSV reader on arbitrary bytes, with the delimiter, header mode and lead picked by the
//! first byte and small line and row limits: `Ok` or `Err`, never a panic; what it reads is
//! finite and within the limits.
#![no_main]

use ecg_anomaly::data::csv::{CsvOptions, Header, read_csv_from};
use ecg_anomaly::limits::ReadLimits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else {
        return;
    };
    let delimiter = [b',', b';', b'\t'][usize::from(choice % 3)];
    let header = [Header::Auto, Header::Present, Header::Absent][usize::from(choice / 3 % 3)];
    let limits = ReadLimits {
        max_csv_line_bytes: 256,
        max_csv_rows: 1000,
        ..ReadLimits::default()
    };
    let mut opts = CsvOptions::default()
        .delimiter(delimiter)
        .header(header)
        .limits(limits);
    if choice & 0x80 != 0 {
        opts = opts.lead(usize::from(choice / 9 % 3));
    }
    if let Ok(ecg) = read_csv_from(text, 250.0, &opts) {
        let n = ecg.leads[0].len();
        assert!(n >= 1 && n <= limits.max_csv_rows);
        assert!(ecg.leads.iter().all(|l| l.len() == n));
        assert!(ecg.leads.iter().flatten().all(|v| v.is_finite()));
    }
});
