//! An EDF writer for tests and benches: the bytes a recorder writes, from 16-bit digital
//! samples. (The reader's known answers come from files pyedflib wrote, `tests/data/edf/`;
//! this one only makes inputs of any length.)

/// An EDF file of `signals` (16-bit digital values, all the same length) at `fs` Hz (an
/// integer) in 1-s data records, each signal labelled `label`, in mV, the digital range
/// -32768..=32767 mapped onto `physical` (min, max). Samples past the last whole second are
/// left out.
pub fn edf_file(signals: &[Vec<i16>], fs: usize, label: &str, physical: (f64, f64)) -> Vec<u8> {
    let ns = signals.len();
    let records = signals.first().map_or(0, |s| s.len() / fs);
    let field = |text: &str, width: usize| {
        let mut text = text.to_string();
        text.truncate(width);
        format!("{text:<width$}").into_bytes()
    };
    let mut out = Vec::new();
    for (text, width) in [
        ("0", 8),
        ("X X X X", 80),
        ("Startdate X X X X", 80),
        ("01.01.00", 8),
        ("00.00.00", 8),
        (&(256 * (ns + 1)).to_string()[..], 8),
        ("", 44),
        (&records.to_string()[..], 8),
        ("1", 8),
        (&ns.to_string()[..], 4),
    ] {
        out.extend(field(text, width));
    }
    for (text, width) in [
        (label, 16),
        ("", 80),
        ("mV", 8),
        (&physical.0.to_string()[..], 8),
        (&physical.1.to_string()[..], 8),
        ("-32768", 8),
        ("32767", 8),
        ("", 80),
        (&fs.to_string()[..], 8),
        ("", 32),
    ] {
        for _ in 0..ns {
            out.extend(field(text, width));
        }
    }
    for r in 0..records {
        for s in signals {
            for v in &s[r * fs..(r + 1) * fs] {
                out.extend(v.to_le_bytes());
            }
        }
    }
    out
}

/// `samples` quantised to 16 bits over their own range, with that range: the arguments of
/// [`edf_file`] for a lead of floats.
pub fn quantised(samples: &[f32]) -> (Vec<i16>, (f64, f64)) {
    let (lo, hi) = samples.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| {
        (l.min(f64::from(v)), h.max(f64::from(v)))
    });
    // Four decimals, widened by a step: short enough for the header's 8 characters (for
    // values under 100 mV), and the header's text is the value the mapping used.
    let short = |v: f64| format!("{v:.4}").parse::<f64>().unwrap_or(v);
    let (lo, hi) = (short(lo - 1e-4), short(hi + 1e-4));
    let digital = samples
        .iter()
        .map(|&v| ((f64::from(v) - lo) / (hi - lo) * 65535.0 - 32768.0).round() as i16)
        .collect();
    (digital, (lo, hi))
}
