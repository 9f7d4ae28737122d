//! `ecg-anomaly info`: what a saved detector is.

use std::path::PathBuf;

use clap::Args;
use ecg_anomaly::detector::Detector;
use ecg_anomaly::device::DeviceChoice;

use crate::{Context, DETECTOR_HINT, EXIT_STATUS, Failure};

/// Arguments of `info` (its help text is on `Command::Info`).
#[derive(Args, Debug)]
#[command(after_help = EXIT_STATUS)]
pub struct InfoArgs {
    /// The detector folder (written by `ecg-anomaly train`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Where the model is loaded: flex (the CPU), ndarray, wgpu, ... [default: flex]
    #[arg(long)]
    device: Option<DeviceChoice>,
}

/// Prints one `name: value` line per property.
pub fn run(args: InfoArgs) -> Result<(), Failure> {
    let device = crate::device(args.device)?;
    let detector = Detector::load(&args.dir, &device)
        .about(args.dir.display())
        .hint(DETECTOR_HINT)?;
    for (name, value) in describe(&detector) {
        println!("{name:<18} {value}");
    }
    Ok(())
}

/// The detector's properties as `(name:, value)` pairs, in reading order.
pub fn describe(detector: &Detector) -> Vec<(&'static str, String)> {
    let meta = detector.metadata();
    let config = detector.config();
    let fs = meta
        .fs
        .map_or("unknown rate".to_string(), |fs| format!("{fs} Hz"));
    let seconds = meta.fs.map_or(String::new(), |fs| {
        format!(" ({:.3} s)", meta.seq as f64 / fs)
    });
    let threshold = detector.threshold();
    let mut lines = vec![
        ("model:", meta.model_kind.to_string()),
        ("model config:", json(&config.model)),
        (
            "input:",
            format!(
                "{} samples x {} channel(s) at {fs}{seconds}, lead {}",
                meta.seq,
                meta.channels,
                meta.lead.as_deref().unwrap_or("unknown")
            ),
        ),
        ("pipeline:", json(&config.pipeline)),
        ("normalization:", json(&config.normalization)),
        ("score:", json(&config.score)),
        (
            "threshold:",
            format!("{} ({})", threshold.value, threshold.method),
        ),
        (
            "training windows:",
            format!(
                "{} ({} more held out)",
                meta.training_windows, meta.validation_windows
            ),
        ),
        ("seed:", meta.seed.to_string()),
        ("data fingerprint:", meta.data_fingerprint.clone()),
        (
            "weights checksum:",
            meta.weights_checksum
                .clone()
                .unwrap_or_else(|| "none".into()),
        ),
        (
            "crate version:",
            format!(
                "{} (folder format {})",
                meta.crate_version, meta.format_version
            ),
        ),
        ("training config:", json(&config.training)),
    ];
    lines.push((
        "training run:",
        match detector.history() {
            Some(h) => {
                let best = h.best().map_or(String::new(), |b| {
                    format!(
                        " (train loss {:.6}, valid loss {:.6})",
                        b.train_loss, b.valid_loss
                    )
                });
                let early = if h.stopped_early {
                    ", stopped early"
                } else {
                    ""
                };
                format!(
                    "{} epochs, best epoch {}{best}{early}",
                    h.epochs.len(),
                    h.best_epoch
                )
            }
            None => "no history saved".to_string(),
        },
    ));
    lines
}

/// One line of JSON.
fn json(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(e) => format!("<{e}>"),
    }
}
