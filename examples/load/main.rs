//! Load generator for `ecg-anomaly serve`: starts the server binary on a saved detector (or
//! targets a running one), hammers `POST /v1/detect` on loopback with a 10-second 360 Hz
//! signal and a beats request, in turn, from N client threads for a set time, and prints
//! throughput, p50/p99 latency, non-2xx and 429 counts and the server's memory (VmRSS, VmHWM
//! from /proc, sampled every second).
//!
//! ```sh
//! cargo run --example quickstart                       # saves target/quickstart-detector/
//! cargo build --features cli,server --bin ecg-anomaly --example load
//! target/debug/examples/load --server-bin target/debug/ecg-anomaly \
//!     --detector target/quickstart-detector --seconds 60 --concurrency 2 --cap 2
//! ```
//!
//! A first phase runs at `--concurrency` (at most `--cap`: every request must succeed), a
//! second for `--over-seconds` at twice the cap (some requests must be refused with 429).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use ecg_anomaly::prelude::*;
use serde_json::json;

mod client;

use client::{agent, hammer};

#[derive(Parser)]
#[command(about = "Hammer POST /v1/detect and report throughput, latency and server memory")]
struct Args {
    /// The `ecg-anomaly` binary to start (with `serve`).
    #[arg(long, default_value = "target/debug/ecg-anomaly")]
    server_bin: PathBuf,
    /// The detector folder the server loads (and the beats request is cut for).
    #[arg(long, default_value = "target/quickstart-detector")]
    detector: PathBuf,
    /// Client threads in the first phase.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// The server's --max-concurrency.
    #[arg(long, default_value_t = 2)]
    cap: usize,
    /// Seconds of the first phase.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Seconds of the second phase, at twice the cap (0: skip it).
    #[arg(long, default_value_t = 10)]
    over_seconds: u64,
    /// Port to start the server on.
    #[arg(long, default_value_t = 18_080)]
    port: u16,
}

/// Kills the server when the generator ends, however it ends.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let base = format!("http://127.0.0.1:{}", args.port);
    let child = Command::new(&args.server_bin)
        .args(["serve", "--detector"])
        .arg(&args.detector)
        .args(["--addr", &format!("127.0.0.1:{}", args.port)])
        .args(["--max-concurrency", &args.cap.to_string()])
        .env("ECG_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let _server = ServerProcess(child);
    let agent = agent();
    let start = Instant::now();
    while !matches!(agent.get(format!("{base}/health/ready")).call(), Ok(r) if r.status() == 200) {
        if start.elapsed() > Duration::from_secs(120) {
            return Err("the server was not ready within 120 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "server pid {pid} ready in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let bodies = Arc::new(bodies(&args.detector)?);
    let memory = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (memory, running) = (memory.clone(), running.clone());
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                if let Some(m) = rss_kib(pid) {
                    memory.lock().unwrap().push(m);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    let url = format!("{base}/v1/detect");
    let phase = |name: &str, clients: usize, seconds: u64| {
        let report = hammer(&url, &bodies, clients, Duration::from_secs(seconds));
        report.print(name, clients, seconds);
        report
    };
    let valid = phase("at or below the cap", args.concurrency, args.seconds);
    let over =
        (args.over_seconds > 0).then(|| phase("over the cap", 2 * args.cap, args.over_seconds));
    running.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let memory = memory.lock().unwrap();
    if let (Some(first), Some(last)) = (memory.first(), memory.last()) {
        let peak = memory.iter().map(|m| m.0).max().unwrap_or(0);
        let tenth = memory.get(memory.len() / 10).unwrap_or(first);
        println!(
            "server memory: VmRSS {} MiB at start, {} MiB after 10% of the run, {} MiB at the end, peak {} MiB; VmHWM {} MiB ({} samples, 1 s apart)",
            first.0 / 1024,
            tenth.0 / 1024,
            last.0 / 1024,
            peak / 1024,
            last.1 / 1024,
            memory.len()
        );
    }
    let mut failed = false;
    if valid.non_2xx > 0 {
        eprintln!(
            "FAIL: {} non-2xx answers to valid requests below the cap",
            valid.non_2xx
        );
        failed = true;
    }
    if let Some(over) = over
        && over.too_many == 0
    {
        eprintln!("FAIL: no 429 at twice the cap");
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

/// The two request bodies: 10 s of synthetic ECG at 360 Hz, and its beats cut at the
/// detector's rate and length by the detector's own pipeline.
fn bodies(detector: &std::path::Path) -> Result<[String; 2], Box<dyn std::error::Error>> {
    let ecg = generate(&SyntheticConfig {
        fs: 360.0,
        length: SyntheticLength::Seconds(10.0),
        seed: 3,
        ..Default::default()
    })?;
    let lead = &ecg.ecg.leads[0];
    let detector = Detector::load(detector, &default_device())?;
    let processed = detector.pipeline().run(lead, 360.0)?;
    let seq = detector.metadata().seq;
    let beats: Vec<&[f32]> = processed.beats.data.chunks(seq).collect();
    println!(
        "requests: a signal of {} samples at 360 Hz; {} beats of {seq} samples",
        lead.len(),
        beats.len()
    );
    Ok([
        json!({"signal": lead, "fs": 360.0}).to_string(),
        json!({"beats": beats}).to_string(),
    ])
}

/// (VmRSS, VmHWM) of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
