//! EDF, EDF+ and BDF files (European Data Format; BioSemi's 24-bit variant).
//!
//! ```no_run
//! use std::path::Path;
//! use ecg_anomaly::data::edf::read_edf;
//! let path = Path::new("holter.edf");
//! let file = read_edf(path)?;
//! let ecg = file.to_ecg(path, Some("II"))?; // mV, at the lead's own rate
//! for a in &file.annotations {
//!     println!("{} s: {}", a.onset, a.text);
//! }
//! # Ok::<(), ecg_anomaly::Error>(())
//! ```
//!
//! Read: EDF (16-bit samples), EDF+C and EDF+D (`reserved` field `EDF+C`/`EDF+D`), BDF
//! (24-bit, version `0xFF BIOSEMI`) and BDF+; every signal's header; digital to physical
//! values by `physical_min + (d - digital_min) x (physical_max - physical_min) / (digital_max -
//! digital_min)`, then to mV from the signal's unit (`uV`, `mV`, `V`); EDF+ annotation signals
//! (`EDF Annotations`) as [`EdfAnnotation`]s and as each data record's start. Signal labels map
//! to leads by [`ecg_lead`] (`ECG II` → `II`). The ECG leads read together must share a
//! sampling rate: they are not resampled, and a mix is [`Error::Unsupported`](crate::Error)
//! naming each rate (name one lead instead); non-ECG signals at other rates are skipped. An
//! EDF+D file with gaps between its data records is refused by [`EdfRecording::to_ecg`],
//! naming the first gap; [`EdfRecording::segments`] and [`EdfRecording::segment_ecg`] read its
//! contiguous pieces one at a time.
//!
//! The file is untrusted: its header's byte counts must match the file's size, every field
//! must parse and be in range, and errors are [`Error::Edf`](crate::Error::Edf) naming the byte
//! offset and the field. Limits ([`ReadLimits`](crate::limits::ReadLimits)): the file's size
//! (`max_edf_file_bytes`, checked before reading), signals (`max_signals`), samples per signal
//! (`max_samples`, checked before allocating) and annotations (`max_annotations`).

mod annotations;
mod header;
mod leads;
mod record;

pub use annotations::EdfAnnotation;
pub use header::{EdfHeader, EdfKind, EdfSignal};
pub use leads::ecg_lead;
pub use record::{
    EdfRecording, EdfSegment, parse_edf, read_ecg, read_ecg_with_limits, read_edf,
    read_edf_with_limits,
};
