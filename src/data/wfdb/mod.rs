//! WFDB (PhysioNet) records: headers, signal files and MIT-format annotations.
//!
//! ```no_run
//! use ecg_anomaly::data::wfdb::{Record, read_annotations};
//! let record = Record::read("mitdb/100")?; // reads 100.hea and 100.dat
//! let ecg = record.to_ecg(); // mV, leads named `MLII`, `V5`
//! let beats = read_annotations("mitdb/100.atr")?.into_iter().filter(|a| a.is_beat());
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! Supported: single-segment records, formats 212, 16, 61, 80 and 160, several signals per file,
//! byte offsets. Multi-segment records, several samples per frame, skew and other formats give
//! [`Error::Unsupported`](crate::Error::Unsupported).
//!
//! Every reader takes its limits from [`ReadLimits`](crate::limits::ReadLimits) (the plain
//! functions use the defaults, the `*_with_limits` ones yours), opens regular files only, and
//! reads a record's signal files only inside its header's folder.
//!
//! Digital samples are kept as stored, WFDB's invalid-sample value included (-2048 in format
//! 212, -32768 in 16, see [`Format::invalid_sample`]); physical conversion maps it to `NaN`.

mod annotation;
pub mod codes;
mod decode;
mod format;
mod header;
mod header_lines;
mod record;

pub use annotation::{
    Annotation, parse_annotations, parse_annotations_with_limits, read_annotations,
    read_annotations_with_limits,
};
pub use format::Format;
pub use header::{DEFAULT_FS, DEFAULT_GAIN, Header, SignalGroup, SignalSpec};
pub use record::{
    Record, decode_signals, decode_signals_into, decode_signals_range, read_ecg,
    read_ecg_with_limits,
};
