//! The `ecg-anomaly` binary end to end, as a user runs it: `train` on the shipped synthetic
//! CSV, `info`, `detect` (CSV and JSON, a folder of records, only the flagged beats, a file),
//! `report`, bad inputs (exit 1, the file named, a hint) and usage errors (exit 2); and with
//! `ECG_DATA_DIR`, MIT-BIH record 100 trained on, judged and reported against its labels.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ecg-anomaly");
const CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/synthetic_ecg.csv");

/// A small, fast detector: hidden 16, latent 8, 3 epochs of batches of 32.
const SMALL: &str = r#"{
  "model": {"kind": "lstm_autoencoder", "config": {"hidden": 16, "latent": 8}},
  "training": {"epochs": 3, "batch_size": 32, "learning_rate": 0.003}
}"#;

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success and gives stdout.
fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed ({:?}):\n{}",
        out.status.code(),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Asserts exit code `code` and gives stderr.
fn fails(args: &[&str], code: i32) -> String {
    let out = run(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    stderr
}

/// A fresh folder for one test.
fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

/// The detector trained once on the synthetic CSV, and what `train` printed to stdout and to
/// stderr (not a terminal: a pipe).
fn trained() -> &'static (PathBuf, String, String) {
    static TRAINED: OnceLock<(PathBuf, String, String)> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let dir = common::scratch("cli", "trained");
        let config = dir.join("small.json");
        std::fs::write(&config, SMALL).unwrap();
        let detector = dir.join("detector");
        let out = run(&[
            "train",
            "--csv",
            CSV,
            "--fs",
            "250",
            "--config",
            path(&config),
            "--seed",
            "7",
            "--out",
            path(&detector),
        ]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "train failed:\n{stdout}\n{stderr}");
        (detector, stdout, stderr)
    })
}

fn detector() -> &'static str {
    path(&trained().0)
}

/// The saved threshold, read from the folder.
fn threshold(detector: &str) -> f64 {
    let json: Value =
        serde_json::from_slice(&std::fs::read(Path::new(detector).join("threshold.json")).unwrap())
            .unwrap();
    json["value"].as_f64().unwrap()
}

/// `ecg-anomaly report --labels` of `record` by `detector` into `html`: its standard output.
#[cfg(feature = "report")]
fn report_with_labels(detector: &Path, record: &Path, html: &Path) -> String {
    ok(&[
        "report",
        "--detector",
        path(detector),
        "--wfdb",
        path(record),
        "--labels",
        "--out",
        path(html),
    ])
}

/// One parsed output row.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
struct Row {
    input: String,
    index: usize,
    sample: Option<usize>,
    time_s: Option<f64>,
    score: f64,
    calibrated: f64,
    anomaly: bool,
    usable: bool,
}

fn csv_rows(text: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "input",
            "index",
            "sample",
            "time_s",
            "score",
            "calibrated",
            "anomaly",
            "usable"
        ]
    );
    reader.deserialize().map(Result::unwrap).collect()
}

/// Checks what every row must hold against the detector's threshold, at `fs` Hz.
fn check_rows(rows: &[Row], threshold: f64, fs: f64) {
    for r in rows {
        // In context (the default), a score is a z-score: finite, of either sign.
        assert!(r.score.is_finite(), "{r:?}");
        assert!((0.0..=1.0).contains(&r.calibrated), "{r:?}");
        assert_eq!(r.anomaly, r.score > threshold, "{r:?} against {threshold}");
        let sample = r.sample.expect("detect_signal gives positions");
        assert_eq!(r.time_s, Some(sample as f64 / fs));
    }
}

#[test]
fn train_prints_each_epoch_and_a_summary_and_info_describes_the_detector() {
    let (dir, stdout, stderr) = trained();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("read ") && lines[0].contains("45000 samples at 250 Hz"),
        "{stdout}"
    );
    // Not on a terminal, each epoch is printed to stderr as it ends, then what ended the run.
    for epoch in 1..=3 {
        let line = format!("epoch {epoch}/3: train loss ");
        assert!(stderr.contains(&line), "{stderr}");
    }
    assert!(stderr.contains("training ended "), "{stderr}");
    assert!(
        !stdout.contains("epoch 1/3"),
        "epochs go to stderr, not stdout:\n{stdout}"
    );
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with("trained lstm_autoencoder on "),
        "{summary}"
    );
    assert!(
        summary.contains("95th percentile") && summary.contains(path(dir)),
        "{summary}"
    );
    for file in [
        "model.bpk",
        "config.json",
        "threshold.json",
        "metadata.json",
        "history.json",
        "training_log.csv",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    // Written as training went: a header and a row per epoch.
    let log = std::fs::read_to_string(dir.join("training_log.csv")).unwrap();
    assert_eq!(log.lines().count(), 1 + 3, "{log}");
    assert!(
        log.starts_with("epoch,train_loss,valid_loss,seconds\n1,"),
        "{log}"
    );
    // Each epoch line says the best so far and how much is left.
    assert!(
        stderr.contains("epoch 1/3: ")
            && stderr.contains("; best 1 (")
            && stderr.contains(" at most"),
        "{stderr}"
    );
    assert!(stderr.contains("; the last epoch"), "{stderr}");

    let info = ok(&["info", path(dir)]);
    let field = |name: &str| {
        let line = info
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name}:\n{info}"));
        line[name.len()..].trim().to_string()
    };
    assert_eq!(field("model:"), "lstm_autoencoder");
    assert!(field("model config:").contains(r#""hidden":16"#), "{info}");
    assert!(
        field("input:").starts_with("160 samples x 1 channel(s) at 180 Hz"),
        "the default pipeline resamples the 250 Hz CSV to 180 Hz: {info}"
    );
    assert!(field("input:").starts_with("160 samples"), "{info}");
    assert!(
        field("input:").ends_with("lead synthetic"),
        "the CSV's header names the lead: {info}"
    );
    let t = threshold(detector());
    assert_eq!(field("threshold:"), format!("{t} (95th percentile)"));
    assert_eq!(field("seed:"), "7");
    assert_eq!(field("data fingerprint:").len(), 16);
    assert_eq!(field("weights checksum:").len(), 16);
    assert!(field("crate version:").starts_with(env!("CARGO_PKG_VERSION")));
    assert!(
        field("training run:").starts_with("3 epochs, best epoch "),
        "{info}"
    );
    let windows = field("training windows:");
    assert!(windows.contains("more held out"), "{windows}");
}

#[test]
fn detect_gives_one_row_per_beat_as_csv_or_json() {
    let t = threshold(detector());
    let csv = ok(&["detect", "--detector", detector(), "--fs", "250", CSV]);
    let rows = csv_rows(&csv);
    assert!(
        (180..=230).contains(&rows.len()),
        "about 210 beats, got {}",
        rows.len()
    );
    check_rows(&rows, t, 250.0);
    assert!(rows.iter().all(|r| r.input == CSV));
    assert_eq!(
        rows.iter().map(|r| r.index).collect::<Vec<_>>(),
        (0..rows.len()).collect::<Vec<_>>()
    );
    let flagged = rows.iter().filter(|r| r.anomaly).count();
    assert!(
        flagged > 0 && flagged < rows.len() / 3,
        "{flagged} of {} flagged",
        rows.len()
    );
    assert!(rows.iter().filter(|r| r.usable).count() > rows.len() * 9 / 10);

    let json = ok(&[
        "detect",
        "--detector",
        detector(),
        "--fs",
        "250",
        "--format",
        "json",
        CSV,
    ]);
    let objects: Vec<Row> = serde_json::from_str(&json).expect("a JSON array");
    assert_eq!(objects, rows, "the same beats and scores, bit for bit");
    assert_eq!(
        json.lines().count(),
        rows.len() + 2,
        "one object a line between the brackets"
    );

    let only = ok(&[
        "detect",
        "--detector",
        detector(),
        "--fs",
        "250",
        "--only-flagged",
        CSV,
    ]);
    let kept = csv_rows(&only);
    assert_eq!(
        kept,
        rows.iter()
            .filter(|r| r.anomaly)
            .cloned()
            .collect::<Vec<_>>()
    );

    let file = common::scratch("cli", "detect-output").join("beats.csv");
    let quiet = ok(&[
        "detect",
        "--detector",
        detector(),
        "--fs",
        "250",
        "--output",
        path(&file),
        CSV,
    ]);
    assert!(quiet.is_empty(), "rows go to the file only");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
}

/// Writes the synthetic CSV as a one-signal format-16 WFDB record `name` (lead MLII, 250 Hz,
/// gain 10000: the CSV's four decimals exactly).
fn write_record(dir: &Path, name: &str) {
    let text = std::fs::read_to_string(CSV).unwrap();
    let digital: Vec<i16> = text
        .lines()
        .skip(1)
        .map(|l| (l.trim().parse::<f64>().unwrap() * 10_000.0).round() as i16)
        .collect();
    // The header's checksum: the samples summed modulo 2^16 (the reader compares it).
    let checksum = digital.iter().fold(0u16, |a, &d| a.wrapping_add(d as u16)) as i16;
    let hea = format!(
        "{name} 1 250 {n}\n{name}.dat 16 10000 16 0 0 {checksum} 0 MLII\n",
        n = digital.len()
    );
    std::fs::write(dir.join(format!("{name}.hea")), hea).unwrap();
    let bytes: Vec<u8> = digital.iter().flat_map(|d| d.to_le_bytes()).collect();
    std::fs::write(dir.join(format!("{name}.dat")), bytes).unwrap();
}

#[test]
fn a_folder_is_judged_record_by_record_in_name_order() {
    let dir = common::scratch("cli", "folder");
    write_record(&dir, "rec_b");
    write_record(&dir, "rec_a");
    std::fs::write(dir.join("notes.txt"), "not a record").unwrap();
    let out = run(&["detect", "--detector", detector(), path(&dir)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = csv_rows(&text(&out.stdout));
    let a: Vec<Row> = rows
        .iter()
        .filter(|r| r.input.ends_with("rec_a"))
        .cloned()
        .collect();
    let b: Vec<Row> = rows
        .iter()
        .filter(|r| r.input.ends_with("rec_b"))
        .cloned()
        .collect();
    assert_eq!(a.len() + b.len(), rows.len());
    assert!(a.len() > 180, "{} beats", a.len());
    assert!(
        rows[..a.len()].iter().all(|r| r.input.ends_with("rec_a")),
        "rec_a first"
    );
    check_rows(&rows, threshold(detector()), 250.0);
    let strip = |rows: Vec<Row>| {
        rows.into_iter()
            .map(|r| Row {
                input: String::new(),
                ..r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(a),
        strip(b),
        "the same signal twice, the same verdicts"
    );
    let stderr = text(&out.stderr);
    let order: Vec<&str> = stderr.lines().filter(|l| l.contains(" beats, ")).collect();
    assert!(
        order[0].contains("rec_a") && order[1].contains("rec_b"),
        "{stderr}"
    );

    // One record by its header file, too.
    let hea = dir.join("rec_a.hea");
    let one = csv_rows(&ok(&[
        "detect",
        "--detector",
        detector(),
        "--format",
        "csv",
        path(&hea),
    ]));
    assert_eq!(one.len(), rows.len() / 2);
}

#[test]
fn bad_inputs_exit_1_naming_the_file_with_a_hint() {
    let d = detector();
    let missing = common::scratch("cli", "bad").join("nowhere.csv");
    for args in [
        vec!["detect", "--detector", d, "--fs", "250", path(&missing)],
        vec![
            "train",
            "--csv",
            path(&missing),
            "--fs",
            "250",
            "--out",
            "unused",
        ],
    ] {
        let stderr = fails(&args, 1);
        assert!(
            stderr.starts_with("error: ") && stderr.contains("nowhere.csv"),
            "{stderr}"
        );
        assert!(stderr.contains("\nhint: "), "{stderr}");
    }

    let stderr = fails(&["detect", "--detector", d, "--fs", "0", CSV], 1);
    assert!(
        stderr.contains("synthetic_ecg.csv") && stderr.contains("fs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: is --fs the CSV's sampling rate"),
        "{stderr}"
    );
    // A rate no ECG has (20 Hz) is refused, saying so; a wrong but valid rate runs, and says
    // that most beats look abnormal.
    let stderr = fails(&["detect", "--detector", d, "--fs", "20", CSV], 1);
    assert!(stderr.contains("not an ECG sampling rate"), "{stderr}");
    let out = run(&["detect", "--detector", d, "--fs", "60", CSV]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: ") && stderr.contains("--fs"),
        "{stderr}"
    );
    // The recording is judged against its own median (the default context), so the flagged
    // share alone would hide a wrong rate; its typical beat's distance from the training
    // beats does not (0.2 sd at the right rate, 36 at 60 Hz, 51 at 500 Hz when written).
    assert!(stderr.contains("sd from the training beats;"), "{stderr}");
    let out = run(&["detect", "--detector", d, "--fs", "500", CSV]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: ") && stderr.contains("sd from the training beats;"),
        "{stderr}"
    );
    let right = run(&["detect", "--detector", d, "--fs", "250", CSV]);
    let stderr = text(&right.stderr);
    assert!(
        !stderr.contains("warning: ") && stderr.contains("sd from the training beats"),
        "{stderr}"
    );

    let garbage = common::scratch("cli", "garbage-detector");
    let stderr = fails(&["info", path(&garbage)], 1);
    assert!(
        stderr.contains(path(&garbage)) && stderr.contains("missing file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: --detector must be a folder written by"),
        "{stderr}"
    );
    for file in [
        "metadata.json",
        "config.json",
        "normalizer.json",
        "score.json",
        "context.json",
    ] {
        std::fs::copy(trained().0.join(file), garbage.join(file)).unwrap();
    }
    for file in ["calibration.json", "threshold.json", "model.bpk"] {
        std::fs::write(garbage.join(file), "garbage").unwrap();
    }
    let stderr = fails(
        &["detect", "--detector", path(&garbage), "--fs", "250", CSV],
        1,
    );
    assert!(
        stderr.contains("garbage-detector") && stderr.contains("calibration.json"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Error {") && !stderr.contains("Os {"),
        "Display, not Debug: {stderr}"
    );

    let not_ecg = common::scratch("cli", "not-ecg").join("words.csv");
    std::fs::write(&not_ecg, "lead\n1.0\nhello\n").unwrap();
    let stderr = fails(
        &["detect", "--detector", d, "--fs", "250", path(&not_ecg)],
        1,
    );
    assert!(
        stderr.contains("words.csv:3") && stderr.contains("hello"),
        "file and line: {stderr}"
    );
}

#[test]
fn usage_errors_exit_2_and_help_documents_the_exit_codes() {
    let d = detector();
    fails(&["detect", "--detector", d, "--bogus", CSV], 2);
    fails(&["train", "--csv", CSV, "--out", "x"], 2); // --csv needs --fs
    fails(
        &[
            "train", "--csv", CSV, "--fs", "250", "--wfdb", "100", "--out", "x",
        ],
        2,
    );
    fails(&["train", "--csv", CSV, "--fs", "fast", "--out", "x"], 2);
    fails(
        &[
            "detect",
            "--detector",
            d,
            "--format",
            "xml",
            "--fs",
            "250",
            CSV,
        ],
        2,
    );
    let stderr = fails(&["detect", "--detector", d, CSV], 2);
    assert!(stderr.contains("--fs"), "a CSV input needs --fs: {stderr}");
    fails(&[], 2);
    for args in [
        &["--help"][..],
        &["detect", "--help"][..],
        &["train", "--help"][..],
    ] {
        let help = ok(args);
        assert!(
            help.contains("Exit status:") && help.contains("2  usage error"),
            "{help}"
        );
    }
}

#[cfg(feature = "report")]
#[test]
fn report_without_labels_draws_the_scores() {
    let dir = common::scratch("cli", "report-plain");
    write_record(&dir, "rec");
    let html = dir.join("plain.html");
    let stdout = ok(&[
        "report",
        "--detector",
        detector(),
        "--wfdb",
        path(&dir.join("rec")),
        "--out",
        path(&html),
    ]);
    assert!(stdout.contains("beats judged"), "{stdout}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("No reference labels") && page.contains("<svg"),
        "figures inlined"
    );
    let stderr = fails(
        &[
            "report",
            "--detector",
            detector(),
            "--wfdb",
            path(&dir.join("rec")),
            "--labels",
            "--out",
            path(&html),
        ],
        1,
    );
    assert!(stderr.contains("rec.atr"), "{stderr}");
    let stderr = fails(
        &[
            "report",
            "--detector",
            detector(),
            "--wfdb",
            path(&dir.join("rec")),
            "--out",
            "/nonexistent-folder/r.html",
        ],
        1,
    );
    assert!(
        stderr.contains("/nonexistent-folder"),
        "checked before any work: {stderr}"
    );
}

/// MIT-BIH record 100 (2,239 N, 33 A, 1 V beats annotated): trained on, judged, reported.
#[test]
fn mitbih_record_100_trains_detects_and_reports_against_its_labels() {
    let Some(mitdb) =
        common::mitdb_dir("mitbih_record_100_trains_detects_and_reports_against_its_labels")
    else {
        return;
    };
    let dir = common::scratch("cli", "mitdb-100");
    let record = mitdb.join("100");
    let config = dir.join("small.json");
    // Beats resampled to 180 Hz (160 samples): half the LSTM steps.
    let small = SMALL.replacen('{', r#"{"pipeline": {"resample_to": 180},"#, 1);
    std::fs::write(&config, small).unwrap();
    let detector = dir.join("detector");
    let stdout = ok(&[
        "train",
        "--wfdb",
        path(&record),
        "--config",
        path(&config),
        "--epochs",
        "2",
        "--out",
        path(&detector),
    ]);
    assert!(
        stdout.contains("lead MLII, 650000 samples at 360 Hz"),
        "{stdout}"
    );
    let info = ok(&["info", path(&detector)]);
    assert!(
        info.contains("160 samples x 1 channel(s) at 180 Hz (0.889 s), lead MLII"),
        "{info}"
    );

    let rows = csv_rows(&ok(&[
        "detect",
        "--detector",
        path(&detector),
        path(&mitdb.join("100.hea")),
    ]));
    assert!((2200..=2300).contains(&rows.len()), "{} beats", rows.len());
    check_rows(&rows, threshold(path(&detector)), 360.0);

    #[cfg(feature = "report")]
    {
        let html = dir.join("report.html");
        let stdout = report_with_labels(&detector, &record, &html);
        let line = stdout.lines().next().unwrap();
        assert!(
            line.contains(&format!("{} beats judged", rows.len())),
            "{line}"
        );
        assert!(
            line.contains("matched to labels: N 2237  S 33  V 1  F 0  Q 0"),
            "{line}"
        );
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            page.contains(ecg_anomaly::report::LABELS_ONLY_MEASURE),
            "the labels chose nothing"
        );
        assert!(page.contains("<td>N</td><td>2237</td>"), "per-class table");
        assert!(page.contains("<td>V</td><td>1</td>") && page.contains("ROC-AUC"));
        assert_eq!(
            page.matches("<svg").count(),
            4,
            "ROC, PR, confusion, histogram inlined"
        );
    }
}

/// `ecg-anomaly serve` on 127.0.0.1, port 0, with `flags`: the child and its address, once
/// it logs that it is ready. Its stderr keeps being drained by a thread.
#[cfg(all(unix, feature = "server"))]
#[allow(
    clippy::zombie_processes,
    reason = "the loop ends only by handing the child to the caller, which waits on it, or by \
              a panic that fails the test"
)]
fn serve(flags: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--detector", detector()])
        .args(flags)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ecg-anomaly serve starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let mut addr = None;
    loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("serve did not get ready:\n{}", seen.join("\n")));
        if let Some(at) = line.find("addr=127.0.0.1:") {
            addr = Some(
                line[at + 5..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
        if line.contains("ready") {
            return (child, addr.expect("the address is logged before ready"));
        }
        seen.push(line);
    }
}

#[cfg(all(unix, feature = "server"))]
#[test]
fn serve_exits_within_its_shutdown_timeout_on_sigterm_during_a_stalled_upload() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    // Out-of-range limits are refused before anything is loaded.
    for (flag, value) in [
        ("--shutdown-timeout", "3601"),
        ("--body-timeout", "0"),
        ("--max-uploads", "0"),
        ("--max-header-bytes", "100"),
        ("--header-timeout", "0"),
        ("--max-concurrency", "0"),
    ] {
        let stderr = fails(&["serve", "--detector", detector(), flag, value], 1);
        let field = flag.trim_start_matches("--").replace('-', "_");
        assert!(stderr.contains(&field), "{flag} {value}: {stderr}");
    }
    let (mut child, addr) = serve(&["--shutdown-timeout", "2", "--body-timeout", "600"]);
    // An upload that declares 1000 bytes, sends 10 and stalls.
    let mut stalled = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "POST /v1/detect HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"signal\":"
    );
    stalled.write_all(head.as_bytes()).unwrap();
    // Until the server counts it in flight (the metrics request itself is the other one).
    let start = Instant::now();
    loop {
        let mut metrics = TcpStream::connect(&addr).unwrap();
        metrics
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        metrics.read_to_string(&mut text).unwrap();
        let in_flight = text
            .lines()
            .find_map(|l| l.strip_prefix("ecg_http_requests_in_flight "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        if in_flight >= 2.0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(35) {
            let _ = child.kill();
            panic!("still running 35 s after SIGTERM with --shutdown-timeout 2");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    println!(
        "exited ({status}) {:?} after SIGTERM, with --shutdown-timeout 2 and an upload stalled",
        start.elapsed()
    );
    assert!(status.success(), "{status}");
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "it waited for the request in flight first"
    );
    drop(stalled);
}

/// Issue 30: `train --leads MLII,V5` fits one channel per lead on record 100, `info` says so,
/// and `detect` reads the same two leads of each input; an input without one is named.
#[test]
fn two_leads_of_mitbih_record_100_train_and_detect() {
    let Some(mitdb) = common::mitdb_dir("two_leads_of_mitbih_record_100_train_and_detect") else {
        return;
    };
    let dir = common::scratch("cli", "mitdb-100-two-leads");
    let config = dir.join("small.json");
    std::fs::write(&config, SMALL).unwrap();
    let detector = dir.join("detector");
    let record = mitdb.join("100");
    let stdout = ok(&[
        "train",
        "--wfdb",
        path(&record),
        "--leads",
        "MLII,V5",
        "--config",
        path(&config),
        "--epochs",
        "1",
        "--out",
        path(&detector),
    ]);
    assert!(
        stdout.contains("lead MLII, V5, 650000 samples at 360 Hz")
            && stdout.contains("at 180 Hz, lead MLII + V5: "),
        "{stdout}"
    );
    let info = ok(&["info", path(&detector)]);
    assert!(info.contains("x 2 channel(s)"), "{info}");
    let rows = csv_rows(&ok(&[
        "detect",
        "--detector",
        path(&detector),
        path(&record),
    ]));
    assert!((2200..=2300).contains(&rows.len()), "{} beats", rows.len());
    assert!(rows.iter().all(|r| r.score.is_finite()));
    // Record 102 has V5 and V2, no MLII: named in the error.
    let stderr = fails(
        &[
            "detect",
            "--detector",
            path(&detector),
            path(&mitdb.join("102")),
        ],
        1,
    );
    assert!(stderr.contains("MLII"), "{stderr}");
    // `report` judges the same two leads and matches the beats to the labels.
    #[cfg(feature = "report")]
    {
        let html = dir.join("report.html");
        let stdout = report_with_labels(&detector, &record, &html);
        let judged = format!("{} beats judged", rows.len());
        assert!(stdout.contains(&judged), "{stdout}");
        let report = std::fs::read_to_string(&html).unwrap();
        assert!(
            report.contains("leads MLII, V5 were cleaned"),
            "the report says which leads"
        );
    }
}

/// `qemu-x86_64` (Debian: qemu-user), or None after saying why; `ECG_REQUIRE_QEMU=1` (CI sets
/// it) makes its absence a failure.
fn qemu() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("qemu-x86_64"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var("ECG_REQUIRE_QEMU").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "ECG_REQUIRE_QEMU=1 but qemu-x86_64 is not on PATH (Debian: apt-get install qemu-user)"
        );
        eprintln!("skipped: no qemu-x86_64 on PATH (ECG_REQUIRE_QEMU=1 makes this a failure)");
    }
    found
}

/// Issue 33, across CPU kinds: the same configuration and seed trained on an AVX2 CPU (the
/// binary run by QEMU's user-mode emulator as an AMD EPYC Zen 3, which has AVX2 and FMA but no
/// AVX-512, so every run-time dispatch (gemm's kernels, Burn Flex's SIMD, ours) takes its AVX2
/// path) and natively on this machine (its AVX-512 paths when it has them) gives the same
/// detector within a tolerance: the threshold to 1e-3 relative, every score to 0.01, the same
/// flagged beats but one or two. Not bit for bit: on an AVX-512 machine the two differ in the
/// last bits (measured on an AMD EPYC Zen 4: threshold 0.784928 against 0.784955, scores at
/// most 6.3e-4 apart, 31 of 209 beats flagged by both); on an AVX2 machine they are equal.
/// About 75 s under emulation (two epochs of the default ConvVae on 2 minutes of ECG).
#[test]
fn an_avx2_cpu_trains_the_same_detector_within_a_tolerance() {
    let Some(qemu) = qemu() else { return };
    let dir = common::scratch("cli", "avx2-vs-native");
    let config = dir.join("small.json");
    std::fs::write(&config, r#"{"training": {"epochs": 2, "seed": 1}}"#).unwrap();
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/synthetic_ecg.csv");
    // Natively, then as `qemu-x86_64 -cpu EPYC-Milan <binary> <arguments>`.
    let train = |emulator: Option<&Path>, out: &Path| {
        let args = [
            "train",
            "--csv",
            path(&csv),
            "--fs",
            "360",
            "--config",
            path(&config),
            "--out",
            path(out),
        ];
        let output = match emulator {
            Some(qemu) => Command::new(qemu)
                .args(["-cpu", "EPYC-Milan", BIN])
                .args(args)
                .output(),
            None => Command::new(BIN).args(args).output(),
        }
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
    };
    let (native, avx2) = (dir.join("native"), dir.join("avx2"));
    train(None, &native);
    train(Some(&qemu), &avx2);
    let (a, b) = (threshold(path(&native)), threshold(path(&avx2)));
    assert!((a - b).abs() <= 1e-3 * a.abs(), "thresholds {a} and {b}");
    let judge = |detector: &Path| {
        csv_rows(&ok(&[
            "detect",
            "--detector",
            path(detector),
            "--fs",
            "360",
            path(&csv),
        ]))
    };
    let (ours, theirs) = (judge(&native), judge(&avx2));
    assert_eq!(ours.len(), theirs.len());
    assert!(ours.len() > 150, "{} beats", ours.len());
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(x, y)| (x.score - y.score).abs())
        .fold(0.0, f64::max);
    assert!(worst <= 0.01, "scores differ by up to {worst}");
    let differ = ours
        .iter()
        .zip(&theirs)
        .filter(|(x, y)| x.anomaly != y.anomaly)
        .count();
    assert!(differ <= 2, "{differ} beats flagged by one detector only");
}
