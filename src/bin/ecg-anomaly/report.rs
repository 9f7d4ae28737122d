//! `ecg-anomaly report`: judge WFDB records and write one self-contained HTML report, measured
//! against the records' reference beat labels with `--labels`. Needs the `report` feature.

use std::path::PathBuf;

use clap::Args;
use ecg_anomaly::device::DeviceChoice;

use crate::{EXIT_STATUS, Failure};

/// Arguments of `report` (its help text is on `Command::Report`).
#[derive(Args, Debug)]
#[command(after_help = EXIT_STATUS)]
#[cfg_attr(not(feature = "report"), allow(dead_code))]
pub struct ReportArgs {
    /// The detector folder (written by `ecg-anomaly train`).
    #[arg(long, value_name = "DIR")]
    detector: PathBuf,
    /// WFDB records (path with or without .hea), EDF/EDF+/BDF files (.edf, .bdf), or folders
    /// of them.
    #[arg(long, value_name = "RECORD", num_args = 1.., required = true)]
    wfdb: Vec<PathBuf>,
    /// Match each judged beat to the nearest beat annotation of RECORD.atr within 150 ms
    /// and measure the detector against their AAMI EC57 classes (N normal; S, V, F, Q abnormal).
    #[arg(long)]
    labels: bool,
    /// The WFDB signal to read [default: MLII].
    #[arg(long, value_name = "NAME")]
    lead: Option<String>,
    /// The HTML file written (figures inlined, no external files).
    #[arg(long, value_name = "FILE.html", default_value = "report.html")]
    out: PathBuf,
    /// Where the model runs: flex (the CPU), ndarray, wgpu, ... [default: flex]
    #[arg(long)]
    device: Option<DeviceChoice>,
}

/// Without the `report` feature there is nothing to draw with.
#[cfg(not(feature = "report"))]
pub fn run(_args: ReportArgs) -> Result<(), Failure> {
    Err(Failure::new(
        "this ecg-anomaly was built without the `report` feature, which draws the report",
        "rebuild with it: cargo install --path . --features cli,report (report is a default feature)",
    ))
}

/// Judges each record in turn, prints a line per record, writes the report.
#[cfg(feature = "report")]
pub fn run(args: ReportArgs) -> Result<(), Failure> {
    use ecg_anomaly::Error;
    use ecg_anomaly::data::beat::{AamiMapping, BEAT_MATCH_TOLERANCE_S, ClassCounts};
    use ecg_anomaly::data::input::SignalPath;
    use ecg_anomaly::detector::Detector;
    use ecg_anomaly::report::{DetectionReport, InputScores};

    use crate::{Context, DETECTOR_HINT};

    if let Some(folder) = args.out.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.is_dir()
    {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder");
        return Err(Error::io(folder, source)).hint("--out must be in an existing folder");
    }
    let mut inputs = Vec::new();
    for path in &args.wfdb {
        match path.is_dir() {
            true => inputs.extend(SignalPath::expand(path)?),
            false => inputs.push(SignalPath::record(path)),
        }
    }
    let device = crate::device(args.device)?;
    let detector = Detector::load(&args.detector, &device)
        .about(args.detector.display())
        .hint(DETECTOR_HINT)?;
    let meta = detector.metadata();
    let threshold = detector.threshold();
    let mapping = AamiMapping::aami_ec57();
    let lead = args.lead.as_deref();

    let mut run = DetectionReport::new(
        format!(
            "ecg-anomaly: {} on {} record(s)",
            args.detector.display(),
            inputs.len()
        ),
        threshold.clone(),
    )
    .paragraph(format!(
        "Detector {}: {}, trained on {} beats ({} more held out) of {} samples at {} Hz, lead \
         {}, seed {}; threshold {} ({}) on held-out normal beats.",
        args.detector.display(),
        meta.model_kind,
        meta.training_windows,
        meta.validation_windows,
        meta.seq,
        meta.fs.map_or("?".to_string(), |f| f.to_string()),
        crate::leads_of(meta),
        meta.seed,
        threshold.value,
        threshold.method
    ))
    .paragraph(format!(
        "Each record's {} cleaned, its R-peaks found and each beat cut and judged by the \
         detector's own pipeline, as in training.",
        match meta.leads.len() > 1 {
            true => format!("leads {} were", meta.leads.join(", ")),
            false => format!("lead {} was", lead.unwrap_or("MLII")),
        }
    ));
    if args.labels {
        run = run.paragraph(format!(
            "Labels: each judged beat is matched to the nearest beat annotation of the record's \
             .atr file within {:.0} ms and takes its AAMI EC57 class (N: N L R e j; S: A a J S; \
             V: V E; F: F; Q: / f Q).",
            BEAT_MATCH_TOLERANCE_S * 1000.0
        ));
    }

    for input in &inputs {
        let (verdicts, fs) = crate::detect::judge(&detector, input, lead, None)?;
        let scores: Vec<f64> = verdicts.iter().map(|v| v.score).collect();
        let flagged = verdicts.iter().filter(|v| v.anomaly).count();
        let mut line = format!(
            "{input}: {} beats judged, {flagged} flagged",
            verdicts.len()
        );
        let (classes, unmatched_beats) = if args.labels {
            let annotations = input.annotations("atr").hint(
                "--labels reads the reference beat annotations <record>.atr beside each record",
            )?;
            let positions: Vec<usize> = verdicts
                .iter()
                .map(|v| v.position.unwrap_or(usize::MAX))
                .collect();
            let tolerance = (BEAT_MATCH_TOLERANCE_S * fs).round() as usize;
            let matches = mapping.label_positions(&positions, &annotations, tolerance);
            let counts: ClassCounts = matches.class.iter().flatten().copied().collect();
            line += &format!(
                "; matched to labels: {counts}; {} judged beats matched none; {} labelled beats \
                 not judged",
                verdicts.len() - counts.total(),
                matches.unmatched_beats
            );
            (Some(matches.class), matches.unmatched_beats)
        } else {
            (None, 0)
        };
        println!("{line}");
        run.push(InputScores {
            name: input.to_string(),
            scores,
            classes,
            unmatched_beats,
        })?;
    }
    let html = run.to_report()?.to_html()?;
    std::fs::write(&args.out, html).map_err(|e| Error::io(&args.out, e))?;
    println!("report written to {}", args.out.display());
    Ok(())
}
