//! Stream: play a recording to a `StreamingDetector` as a live feed, and print each beat's
//! verdict with its delay and latency, then the throughput and the time each push takes.
//!
//! ```sh
//! cargo run --release --example stream                                  # synthetic, 10x real time
//! cargo run --release --example stream -- --detector target/quickstart-detector \
//!     --record ../shared/datasets/mitdb/208 --speed 0                    # as fast as it goes
//! ```
//!
//! Without `--detector` a small detector is fitted first on 4 minutes of synthetic ECG (about
//! a minute). The feed sends `--chunk-ms` of signal at a time, paced at `--speed` times real
//! time (0: no pacing, to measure throughput). A beat's *delay* is how much signal arrived after
//! its R-peak before it was judged (at most `after + settle + hop` seconds); its *latency* is the
//! wall-clock time from the chunk that held its R-peak to its verdict (at 1x real time about the
//! delay, plus the time of the push that judged it).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ecg_anomaly::prelude::*;
use ecg_anomaly::stream::{StreamConfig, StreamingDetector};

#[derive(Parser)]
#[command(about = "Play a recording to the streaming detector as a live feed")]
struct Args {
    /// A saved detector folder; without it a small one is fitted on synthetic ECG.
    #[arg(long)]
    detector: Option<PathBuf>,
    /// A WFDB record (path without extension) to play; default 5 minutes of synthetic ECG.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Playback speed in multiples of real time; 0 plays as fast as the detector goes.
    #[arg(long, default_value_t = 10.0)]
    speed: f64,
    /// Signal sent per chunk, in milliseconds.
    #[arg(long, default_value_t = 100.0)]
    chunk_ms: f64,
    /// Play at most this many seconds of the recording.
    #[arg(long)]
    seconds: Option<f64>,
    /// Print every beat (default: only the flagged ones).
    #[arg(long)]
    all: bool,
    /// Where the model runs: flex (CPU, default), ndarray, wgpu, ...
    #[arg(long, default_value = "flex")]
    device: DeviceChoice,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let device = args.device.device()?;
    let detector = Arc::new(match &args.detector {
        Some(dir) => Detector::load(dir, &device)?,
        None => fit_small(&device)?,
    });
    let (lead, fs, name) = match &args.record {
        Some(path) => {
            let ecg = read_ecg(path)?;
            (ecg.leads[0].clone(), ecg.fs, path.display().to_string())
        }
        None => {
            let ecg = synthetic(300.0, 0.05, 7)?;
            (
                ecg.leads[0].clone(),
                ecg.fs,
                "synthetic (5 min, 5 % abnormal)".into(),
            )
        }
    };
    let limit = args
        .seconds
        .map_or(lead.len(), |s| ((s * fs) as usize).min(lead.len()));
    let lead = &lead[..limit];
    let chunk = ((args.chunk_ms / 1000.0 * fs).round() as usize).max(1);
    let mut stream = StreamingDetector::new(detector, fs, StreamConfig::default())?;
    println!(
        "streaming {name}: {:.0} s at {fs} Hz, chunks of {chunk} samples, {} x real time; \
         longest delay {:.2} s",
        lead.len() as f64 / fs,
        if args.speed > 0.0 {
            format!("{}", args.speed)
        } else {
            "max".into()
        },
        stream.max_delay_s()
    );

    // When each chunk was sent, to time each beat from the chunk holding its R-peak.
    let mut sent: Vec<Instant> = Vec::with_capacity(lead.len() / chunk + 1);
    let mut latencies = Vec::new();
    let mut pushes = Vec::new(); // seconds each push took
    let mut delays = Vec::new();
    let (mut beats, mut flagged) = (0usize, 0usize);
    let start = Instant::now();
    let mut report = |judged: Vec<ecg_anomaly::stream::StreamVerdict>, sent: &[Instant]| {
        let now = Instant::now();
        for j in judged {
            let v = &j.verdict;
            let position = v.position.unwrap_or(0);
            let held = sent[(position / chunk).min(sent.len() - 1)];
            let latency = now.duration_since(held);
            let delay = (j.decided_at - position) as f64 / fs;
            latencies.push(latency.as_secs_f64());
            delays.push(delay);
            beats += 1;
            flagged += usize::from(v.anomaly);
            if args.all || v.anomaly {
                println!(
                    "beat {:>5} at {:>8.2} s  score {:>7.3}  calibrated {:.3}  {}  \
                     delay {:.2} s  latency {:>7.1} ms",
                    v.index,
                    position as f64 / fs,
                    v.score,
                    v.calibrated,
                    if v.anomaly { "FLAGGED" } else { "normal " },
                    delay,
                    latency.as_secs_f64() * 1e3
                );
            }
        }
    };
    for (k, piece) in lead.chunks(chunk).enumerate() {
        if args.speed > 0.0 {
            let due = Duration::from_secs_f64(k as f64 * chunk as f64 / fs / args.speed);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let before = Instant::now();
        sent.push(before);
        let judged = stream.push(piece)?;
        pushes.push(before.elapsed().as_secs_f64());
        report(judged, &sent);
    }
    let judged = stream.finish()?;
    report(judged, &sent);
    let wall = start.elapsed().as_secs_f64();

    latencies.sort_by(f64::total_cmp);
    pushes.sort_by(f64::total_cmp);
    let pct = |v: &[f64], q: f64| {
        v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "\n{beats} beats judged, {flagged} flagged ({:.1} %), in {wall:.2} s of wall time \
         ({:.1} x real time, {:.0} beats/s)",
        100.0 * flagged as f64 / beats.max(1) as f64,
        lead.len() as f64 / fs / wall,
        beats as f64 / wall
    );
    println!(
        "latency from the chunk holding the R-peak: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         signal delay at most {:.2} s",
        pct(&latencies, 0.5) * 1e3,
        pct(&latencies, 0.99) * 1e3,
        latencies.last().copied().unwrap_or(0.0) * 1e3,
        delays.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "time per push of {chunk} samples: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&pushes, 0.5) * 1e3,
        pct(&pushes, 0.99) * 1e3,
        pushes.last().copied().unwrap_or(0.0) * 1e3
    );
    println!("cpu: {}, device {:?}", cpu_name(), args.device);
    Ok(())
}

/// `seconds` of synthetic ECG at 360 Hz with `rate` abnormal beats.
fn synthetic(seconds: f64, rate: f64, seed: u64) -> Result<Ecg, Error> {
    Ok(generate(&SyntheticConfig {
        fs: 360.0,
        length: SyntheticLength::Seconds(seconds),
        anomaly_rate: rate,
        seed,
        ..Default::default()
    })?
    .ecg)
}

/// A small LSTM autoencoder with the rhythm in its context, fitted on 4 minutes of synthetic ECG.
fn fit_small(device: &Device) -> Result<Detector, Error> {
    let train = synthetic(240.0, 0.02, 3)?;
    println!("fitting a small detector on 4 minutes of synthetic ECG ...");
    DetectorConfig {
        model: ModelSpec::LstmAutoencoder(LstmAutoencoderConfig {
            hidden: 32,
            ..Default::default()
        }),
        training: TrainingConfig {
            epochs: 6,
            quiet: true,
            ..Default::default()
        },
        context: ecg_anomaly::score::ContextConfig {
            rhythm: true,
            ..Default::default()
        },
        ..Default::default()
    }
    .fit_signal(&train.leads[0], train.fs, device)
}

/// The CPU (Linux): its model name, family and model numbers (a virtual machine may print only
/// "AMD EPYC", and Zen 3 and Zen 4 differ) and its widest vector instructions.
fn cpu_name() -> String {
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return "unknown".into();
    };
    let field = |name: &str| {
        info.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_default()
    };
    let flags = field("flags");
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let simd = if has("avx512f") {
        "AVX-512"
    } else if has("avx2") {
        "AVX2, no AVX-512"
    } else {
        "no AVX2"
    };
    format!(
        "{} (family {}, model {}, {simd})",
        field("model name"),
        field("cpu family"),
        field("model")
    )
}
