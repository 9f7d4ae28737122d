//! Drives the dashboard (`src/serve/dashboard/`) as a user would, through its element ids, and
//! checks what it shows against the server's own response.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::cdp::Page;

/// How long one analysis (upload, scoring, first render) may take.
const ANALYSIS_TIMEOUT: Duration = Duration::from_secs(240);
const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// Opens the dashboard at `base` and waits for the model's header; gives the model's name.
pub fn open(page: &mut Page<'_>, base: &str) -> String {
    // Content-Security-Policy violations (an inline script or style, a foreign URL) are neither
    // exceptions nor console calls: the page records them for `check_clean`.
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__cspViolations = []; document.addEventListener(\
            'securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"}),
    );
    page.navigate(&format!("{base}/"));
    let name = page.wait_for(
        "(() => { const t = document.getElementById('model-name')?.textContent; \
         return t && t !== '…' ? t : null; })()",
        UI_TIMEOUT,
        "document.getElementById('model-info').textContent",
    );
    name.as_str().unwrap().to_owned()
}

/// What an analysis ended with: the status line's class (`ok` or `error`) and text, and how
/// long it took from the click on Analyze.
pub struct Outcome {
    pub ok: bool,
    pub status: String,
    pub elapsed: Duration,
}

/// Chooses `files`, sets the rate field (when `fs` is given), clicks Analyze and waits for the
/// status line to say how it went.
pub fn analyze(page: &mut Page<'_>, files: &[&Path], fs: Option<f64>) -> Outcome {
    if let Some(fs) = fs {
        page.eval(&format!(
            "(() => {{ const f = document.getElementById('fs'); f.value = {fs}; \
             f.dispatchEvent(new Event('input', {{bubbles: true}})); }})()"
        ));
    }
    // Choosing files resets the status line (so the wait below sees this analysis' outcome).
    page.set_files("#file", files);
    page.wait_for(
        "!document.getElementById('analyze').disabled",
        UI_TIMEOUT,
        "document.getElementById('status').textContent",
    );
    let start = Instant::now();
    page.click("#analyze");
    let class = page.wait_for(
        "(() => { const s = document.getElementById('status'); \
         return /\\b(ok|error)\\b/.test(s.className) && !s.classList.contains('busy') \
         && document.getElementById('analyze').disabled === false ? s.className : null; })()",
        ANALYSIS_TIMEOUT,
        "document.getElementById('status').textContent",
    );
    let elapsed = start.elapsed();
    let status = page
        .eval("document.getElementById('status').textContent")
        .as_str()
        .unwrap()
        .to_owned();
    Outcome {
        ok: class
            .as_str()
            .unwrap()
            .split_whitespace()
            .any(|c| c == "ok"),
        status,
        elapsed,
    }
}

/// The flagged count the page shows.
pub fn flagged_count(page: &mut Page<'_>) -> usize {
    let text = page.eval("document.getElementById('flagged-count').textContent");
    text.as_str()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap_or_else(|e| panic!("flagged count {text}: {e}"))
}

/// Moves the threshold slider to `position` (its own units, 0..=max) as a drag would, and
/// gives the threshold the page now applies.
pub fn move_slider(page: &mut Page<'_>, position: u32) -> f64 {
    page.eval(&format!(
        "(() => {{ const s = document.getElementById('threshold'); s.value = {position}; \
         s.dispatchEvent(new Event('input', {{bubbles: true}})); }})()"
    ));
    page.eval("window.ecgDashboard.state.threshold")
        .as_f64()
        .unwrap()
}

/// The response's beats as the page holds them: (index, position, score) in time order.
pub fn beats(page: &mut Page<'_>) -> Vec<(u64, Option<u64>, f64)> {
    let value = page
        .eval("window.ecgDashboard.state.beats.map(b => [b.index, b.position, b.score ?? null])");
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b[0].as_u64().unwrap(),
                b[1].as_u64(),
                b[2].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

/// Checks the threshold slider: at its top nothing is flagged, at its bottom more than at the
/// detector's threshold, and at each position the count is the scores above the threshold.
/// Leaves the slider at the detector's threshold.
pub fn check_threshold(page: &mut Page<'_>) {
    let beats = beats(page);
    assert!(!beats.is_empty(), "no beats to flag");
    let detector = page
        .eval("window.ecgDashboard.state.detectorThreshold")
        .as_f64()
        .unwrap();
    let response_flagged = page
        .eval("window.ecgDashboard.state.result.beats.filter(b => b.anomaly).length")
        .as_u64()
        .unwrap() as usize;
    let at_detector = flagged_count(page);
    assert_eq!(
        at_detector, response_flagged,
        "at the detector's threshold the page flags what the server flagged"
    );
    let expected = |t: f64| beats.iter().filter(|b| b.2 > t).count();
    assert_eq!(at_detector, expected(detector));

    let max = page
        .eval("Number(document.getElementById('threshold').max)")
        .as_u64()
        .unwrap() as u32;
    let mut counts = Vec::new();
    for position in [max, max / 2, max / 4, 0] {
        let threshold = move_slider(page, position);
        // The count updates on the same input event, before the next frame.
        let shown = flagged_count(page);
        assert_eq!(
            shown,
            expected(threshold),
            "slider at {position}/{max}: threshold {threshold}"
        );
        let field = page
            .eval("Number(document.getElementById('threshold-value').value)")
            .as_f64()
            .unwrap();
        assert!(
            (field - threshold).abs() <= 1e-2 * threshold.abs().max(1e-9),
            "the threshold field shows {field}, the page applies {threshold}"
        );
        counts.push(shown);
    }
    assert_eq!(counts[0], 0, "at the slider's top nothing is flagged");
    assert!(
        counts[3] + 1 >= beats.len(),
        "at the slider's bottom all beats but the lowest are flagged: {counts:?}"
    );
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    // The list's rows follow the slider too (on the next frame): all flagged at the bottom.
    page.wait_for(
        "(() => { const r = document.querySelectorAll('#beat-list .row'); \
         return r.length > 5 && document.querySelectorAll('#beat-list .row.flagged').length >= r.length - 1; })()",
        UI_TIMEOUT,
        "document.getElementById('beat-list').innerHTML.slice(0, 500)",
    );
    page.click("#threshold-reset");
    assert_eq!(flagged_count(page), at_detector, "reset");
}

/// What the detail view shows.
#[derive(Debug)]
pub struct Detail {
    pub index: u64,
    pub title: String,
    pub series: usize,
    pub points: usize,
}

pub fn detail(page: &mut Page<'_>) -> Option<Detail> {
    let value = page.eval(
        "(() => { const d = document.getElementById('beat-detail'); \
         const p = window.ecgDashboard.state.plots.detail; \
         if (!d.dataset.index || !p) return null; \
         return [Number(d.dataset.index), document.getElementById('detail-title').textContent, \
                 p.series.length, p.data[0].length, d.querySelectorAll('canvas').length]; })()",
    );
    let v = value.as_array()?;
    assert!(v[4].as_u64().unwrap() > 0, "the detail view has no plot");
    Some(Detail {
        index: v[0].as_u64().unwrap(),
        title: v[1].as_str().unwrap().to_owned(),
        series: v[2].as_u64().unwrap() as usize,
        points: v[3].as_u64().unwrap() as usize,
    })
}

/// Clicks the list's first row (the highest score) and checks that the detail view shows that
/// beat, its reconstruction and its error; then clicks a beat in the signal plot. Gives the
/// index of the beat clicked in the plot.
pub fn check_beat_detail(page: &mut Page<'_>, seq: usize) -> u64 {
    assert!(detail(page).is_none(), "a beat is shown before any click");
    let first: u64 = page
        .eval("Number(document.querySelector('#beat-list .row').dataset.index)")
        .as_u64()
        .unwrap();
    let top_score = page.eval(&format!(
        "window.ecgDashboard.state.beats.find(b => b.index === {first}).score"
    ));
    let best = page.eval(
        "Math.max(...window.ecgDashboard.state.beats.map(b => b.score).filter(Number.isFinite))",
    );
    assert_eq!(top_score, best, "the list starts with the highest score");
    page.click("#beat-list .row");
    let shown = page.wait_for(
        "document.getElementById('beat-detail').dataset.index ?? null",
        UI_TIMEOUT,
        "document.getElementById('beat-detail').textContent",
    );
    assert_eq!(shown.as_str().unwrap(), first.to_string());
    let d = detail(page).expect("detail view");
    assert_eq!(d.index, first);
    assert!(d.title.contains(&format!("#{first}")), "{d:?}");
    // x, the beat, its reconstruction, its error; one point per sample of the window.
    assert_eq!(d.series, 4, "{d:?}");
    assert_eq!(d.points, seq, "{d:?}");
    let plotted_error = page.eval("window.ecgDashboard.state.plots.detail.data[3]");
    let sent_error = page.eval(&format!(
        "window.ecgDashboard.state.result.beats.find(b => b.index === {first}).error"
    ));
    assert_eq!(
        plotted_error, sent_error,
        "the detail plots the beat's own error"
    );
    let selected = page.eval("document.querySelector('#beat-list .row.selected')?.dataset.index");
    assert_eq!(selected, json!(first.to_string()), "the row is selected");

    // A click on a beat in the signal plot: the one nearest the middle of the view.
    let target = page.eval(
        "(() => { const u = window.ecgDashboard.state.plots.signal; const s = window.ecgDashboard.state; \
         const mid = (u.scales.x.min + u.scales.x.max) / 2; \
         const b = s.beats.filter(b => b.t != null && b.index !== Number(document.getElementById('beat-detail').dataset.index)) \
           .sort((a, c) => Math.abs(a.t - mid) - Math.abs(c.t - mid))[0]; \
         const r = u.over.getBoundingClientRect(); \
         return [b.index, r.left + u.valToPos(b.t, 'x'), r.top + r.height / 2]; })()",
    );
    let index = target[0].as_u64().unwrap();
    page.click_at(target[1].as_f64().unwrap(), target[2].as_f64().unwrap());
    page.wait_for(
        &format!("document.getElementById('beat-detail').dataset.index === '{index}'"),
        UI_TIMEOUT,
        "document.getElementById('beat-detail').dataset.index",
    );
    let d = detail(page).expect("detail view after a click in the plot");
    assert_eq!(d.index, index);
    index
}

/// The verdicts CSV the download button saves, read from `folder` once the browser wrote it.
pub fn download(page: &mut Page<'_>, folder: &Path) -> String {
    let _ = std::fs::remove_dir_all(folder);
    std::fs::create_dir_all(folder).unwrap();
    page.browser.call(
        None,
        "Browser.setDownloadBehavior",
        json!({"behavior": "allow", "downloadPath": folder.display().to_string()}),
    );
    page.click("#download");
    let start = Instant::now();
    loop {
        let done: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        if let [file] = done.as_slice() {
            return std::fs::read_to_string(file).unwrap();
        }
        assert!(
            start.elapsed() < UI_TIMEOUT,
            "no CSV downloaded into {}",
            folder.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Checks the downloaded CSV against the page: one row per beat, flagged at the page's
/// threshold.
pub fn check_csv(page: &mut Page<'_>, csv: &str) {
    let beats = beats(page);
    let threshold = page
        .eval("window.ecgDashboard.state.threshold")
        .as_f64()
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for column in [
        "index",
        "position",
        "score",
        "calibrated",
        "flagged",
        "label",
    ] {
        assert!(header.contains(&column), "{column} missing from {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), beats.len());
    for (row, beat) in rows.iter().zip(&beats) {
        assert_eq!(row[col("index")], beat.0.to_string());
        let score: f64 = row[col("score")].parse().unwrap();
        assert_eq!(score, beat.2);
        assert_eq!(row[col("flagged")], (score > threshold).to_string());
    }
}

/// Fails on any uncaught exception, console error or Content-Security-Policy violation, and on
/// any request that left `base`.
pub fn check_clean(page: &mut Page<'_>, base: &str) {
    let violations = page.eval("window.__cspViolations");
    assert_eq!(violations, json!([]), "Content-Security-Policy violations");
    let errors = page.errors();
    assert!(errors.is_empty(), "the page logged errors: {errors:#?}");
    let outside: Vec<String> = page
        .requested_urls()
        .into_iter()
        .filter(|u| !(u.starts_with(base) || u.starts_with("data:") || u.starts_with("blob:")))
        .filter(|u| u != "about:blank")
        .collect();
    assert!(
        outside.is_empty(),
        "the dashboard reached outside its server: {outside:?}"
    );
}

/// The labels the list shows (from an uploaded `.atr`), as JSON.
pub fn labels(page: &mut Page<'_>) -> Value {
    page.eval("window.ecgDashboard.state.beats.map(b => b.label ?? null)")
}

/// Shows the busiest 10 s of abnormal beats: the flagged beat with an abnormal label that has
/// the most such neighbours within 5 s, selected and centred; gives a PNG of the page.
pub fn screenshot_view(page: &mut Page<'_>) -> Vec<u8> {
    let chosen = page.eval(
        "(() => { const d = window.ecgDashboard; const s = d.state; \
         const normal = new Set(['N', 'L', 'R', 'e', 'j']); \
         const f = s.beats.filter(b => s.flagged[b.k] && b.label && !normal.has(b.label)); \
         let best = null, most = -1; \
         for (const b of f) { const n = f.filter(c => Math.abs(c.t - b.t) < 5).length; \
           if (n > most) { best = b; most = n; } } \
         if (!best) return null; \
         d.selectBeat(best.k); d.centerOn(best.t, 10); return best.index; })()",
    );
    assert!(chosen.is_u64(), "no flagged abnormal beat to show");
    // Two frames: the plots redraw on the next one.
    page.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
    page.screenshot()
}
