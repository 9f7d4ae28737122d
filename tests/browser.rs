//! The dashboard in a real browser: the server runs on 127.0.0.1 with a small detector, headless
//! Chromium loads `/`, uploads a synthetic CSV with abnormal beats (and, with `ECG_DATA_DIR`,
//! MIT-BIH record 210's `.hea`, `.dat` and `.atr`), moves the threshold slider, clicks beats and
//! downloads the verdicts; every check compares the page with the server's own response.
//!
//! Needs Chromium: `CHROME`, or `chromium`, `chromium-browser` or `google-chrome` on `PATH`.
//! Without one the test says why and passes, unless `ECG_REQUIRE_BROWSER=1` (CI sets it).
//! On MIT-BIH it saves a 1366x900 screenshot in the target folder, and into
//! `docs/dashboard.png` (the README's picture) when `ECG_UPDATE_SCREENSHOT=1`.

mod common;

#[path = "browser/cdp.rs"]
mod cdp;
#[path = "browser/dashboard.rs"]
mod dashboard;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ecg_anomaly::data::csv::write_csv;
use ecg_anomaly::data::wfdb::Record;
use ecg_anomaly::prelude::*;

/// The record the screenshot shows: atrial fibrillation with ~190 premature ventricular beats
/// among ~2,400 normal ones, which a detector fitted on the record itself picks out.
const RECORD: &str = "210";

/// Two minutes of synthetic ECG at 360 Hz, a tenth of its beats abnormal, as a CSV.
fn synthetic_csv(dir: &Path) -> PathBuf {
    let ecg = common::synthetic(360.0, 120.0, 0.1, 21).ecg;
    let path = dir.join("synthetic.csv");
    write_csv(&path, &ecg).unwrap();
    path
}

/// The detector the server runs, saved in `dir`: fitted on MIT-BIH record 210's MLII lead when
/// the data is there (unsupervised: its beats are mostly normal), else on synthetic ECG.
fn fit_detector(dir: &Path, mitdb: Option<&Path>) -> (PathBuf, usize) {
    let start = Instant::now();
    let (signal, fs) = match mitdb {
        Some(mitdb) => {
            let record = Record::read(mitdb.join(RECORD)).unwrap();
            let lead = record.header.signal_index("MLII").expect("MLII lead");
            (record.physical(lead).unwrap(), record.header.fs)
        }
        None => {
            let train = common::synthetic(360.0, 300.0, 0.02, 11);
            (train.ecg.leads[0].clone(), train.ecg.fs)
        }
    };
    let detector = common::small_detector_config(7)
        .fit_signal(&signal, fs, &default_device())
        .unwrap();
    let path = dir.join("detector");
    detector.save(&path).unwrap();
    eprintln!("fitted the detector in {:.1?}", start.elapsed());
    (path, detector.metadata().seq)
}

#[test]
fn dashboard_in_headless_chromium() {
    let Some(chrome) = cdp::find_browser() else {
        let required = std::env::var("ECG_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "ECG_REQUIRE_BROWSER=1 but no browser found: install Chromium (Debian: apt-get install \
             chromium) or set CHROME to its path"
        );
        eprintln!(
            "skipped dashboard_in_headless_chromium: no browser (set CHROME, or put chromium on \
             PATH; ECG_REQUIRE_BROWSER=1 makes this a failure)"
        );
        return;
    };
    let started = Instant::now();
    let dir = common::scratch("browser", "dashboard");
    let mitdb = common::mitdb_dir("dashboard_in_headless_chromium (MIT-BIH part)");
    let (detector, seq) = fit_detector(&dir, mitdb.as_deref());
    let server = server::start(&detector);
    let base = server.base_url();

    let mut browser = cdp::Browser::launch(&chrome, &dir.join("profile"));
    let mut page = browser.page(1366, 900);
    let model = dashboard::open(&mut page, &base);
    eprintln!("dashboard up, model {model}");

    // A file the server refuses: its message reaches the user, and nothing breaks.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "lead\n0.1\nnot a number\n0.2\n").unwrap();
    let refused = dashboard::analyze(&mut page, &[&bad], Some(360.0));
    assert!(!refused.ok, "{}", refused.status);
    assert!(
        refused.status.starts_with("Error 4"),
        "the server's status: {}",
        refused.status
    );
    assert!(
        refused.status.len() > "Error 400 (x): ".len() + 5,
        "the server's message is shown: {}",
        refused.status
    );

    // The synthetic CSV.
    let csv = synthetic_csv(&dir);
    let outcome = dashboard::analyze(&mut page, &[&csv], Some(360.0));
    assert!(outcome.ok, "{}", outcome.status);
    eprintln!(
        "CSV analyzed in {:.1?}: {}",
        outcome.elapsed, outcome.status
    );
    let beats = dashboard::beats(&mut page);
    assert!(beats.len() > 100, "{} beats in 2 minutes", beats.len());
    dashboard::check_threshold(&mut page);
    dashboard::check_beat_detail(&mut page, seq);
    let downloaded = dashboard::download(&mut page, &dir.join("downloads"));
    dashboard::check_csv(&mut page, &downloaded);

    // MIT-BIH: the whole 30-minute record (650,000 samples), its labels, the screenshot.
    if let Some(mitdb) = &mitdb {
        let files: Vec<PathBuf> = ["hea", "dat", "atr"]
            .iter()
            .map(|ext| mitdb.join(format!("{RECORD}.{ext}")))
            .collect();
        let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let outcome = dashboard::analyze(&mut page, &files, None);
        assert!(outcome.ok, "{}", outcome.status);
        eprintln!(
            "record {RECORD} analyzed in {:.1?}: {}",
            outcome.elapsed, outcome.status
        );
        let beats = dashboard::beats(&mut page);
        assert!(beats.len() > 2000, "{} beats", beats.len());
        let labels = dashboard::labels(&mut page);
        let labelled = labels.as_array().unwrap().iter().filter(|l| l.is_string());
        assert!(
            labelled.count() > beats.len() * 9 / 10,
            "the .atr's labels reach the page"
        );
        dashboard::check_threshold(&mut page);
        let shot = dashboard::screenshot_view(&mut page);
        let saved = dir.join("dashboard.png");
        std::fs::write(&saved, &shot).unwrap();
        eprintln!("screenshot: {}", saved.display());
        if std::env::var("ECG_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dashboard.png");
            std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
            std::fs::write(&docs, &shot).unwrap();
            eprintln!("updated {}", docs.display());
        }
    }
    dashboard::check_clean(&mut page, &base);
    eprintln!("browser test done in {:.1?}", started.elapsed());
}

/// The `ecg-anomaly serve` process, on a port the system picks; killed on drop.
mod server {
    use std::io::{BufRead, BufReader, Read};
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    pub struct Server {
        child: Child,
        addr: String,
    }

    impl Server {
        pub fn base_url(&self) -> String {
            format!("http://{}", self.addr)
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Starts the binary on 127.0.0.1, port 0, and waits for the address it prints.
    #[allow(
        clippy::zombie_processes,
        reason = "the loop ends only by handing the child to a Server, whose Drop kills and \
                  waits on it, or by a panic that fails the test"
    )]
    pub fn start(detector: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecg-anomaly"))
            .args(["serve", "--addr", "127.0.0.1:0", "--detector"])
            .arg(detector)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ecg-anomaly serve starts");
        let (tx, rx) = mpsc::channel();
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [stdout, stderr] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    // Keeps draining (a full pipe would block the server's logging).
                    let _ = tx.send(line);
                }
            });
        }
        // It prints its address once it listens, then "ready" once the detector is loaded.
        let mut seen = Vec::new();
        let mut addr = None;
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| {
                    panic!("ecg-anomaly serve did not get ready:\n{}", seen.join("\n"))
                });
            if addr.is_none() {
                addr = address(&line);
            }
            if line.contains("ready")
                && let Some(addr) = addr.take()
            {
                return Server { child, addr };
            }
            assert!(
                !line.contains("ERROR"),
                "ecg-anomaly serve failed: {line}\n{}",
                seen.join("\n")
            );
            seen.push(line);
        }
    }

    /// `127.0.0.1:PORT` in a log line, with a port other than 0.
    fn address(line: &str) -> Option<String> {
        let at = line.find("127.0.0.1:")?;
        let rest = &line[at + "127.0.0.1:".len()..];
        let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!port.is_empty() && port != "0").then(|| format!("127.0.0.1:{port}"))
    }
}
