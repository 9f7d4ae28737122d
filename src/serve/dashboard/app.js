// ecg-anomaly dashboard: uploads a recording to POST /v1/detect, then shows the signal with its
// flagged beats, a threshold slider that re-flags from the returned scores, each beat beside its
// reconstruction, the score histogram and a CSV of the verdicts. Plain JavaScript, no build
// step, no network access but this server's own API.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  const COLORS = {
    trace: "#1e293b",
    flagged: "#dc2626",
    flaggedBand: "rgba(220, 38, 38, 0.13)",
    normal: "#94a3b8",
    unusable: "#d97706",
    selected: "#2563eb",
    reconstruction: "#2563eb",
    error: "rgba(220, 38, 38, 0.85)",
    errorFill: "rgba(220, 38, 38, 0.12)",
    grid: "rgba(15, 23, 42, 0.07)",
    axis: "#475569",
  };
  // AAMI EC57 class N: the beat symbols a label-aware summary counts as normal.
  const NORMAL_LABELS = new Set(["N", "L", "R", "e", "j"]);
  // Default window around the R-peak when the model info does not give one (the library's
  // default: 140 samples before and 180 after at 360 Hz).
  const DEFAULT_BEFORE_S = 140 / 360;
  const DEFAULT_AFTER_S = 180 / 360;
  const DEFAULT_VIEW_S = 10;
  const OVERVIEW_BUCKETS = 2000;
  const SLIDER_STEPS = 1000;
  const HIST_BINS = 48;

  const state = {
    model: null, // GET /v1/model
    result: null, // POST /v1/detect
    fs: null, // the signal's sampling rate (Hz), or null: positions are then samples
    duration: 0, // x extent of the signal plot (seconds, or samples without fs)
    beats: [], // the response's beats, in time order, each with .t (x position) and .k
    flagged: new Uint8Array(0), // at the current threshold, by beat k
    flaggedCount: 0,
    threshold: NaN,
    detectorThreshold: NaN,
    slider: null, // { lo, hi, log }
    selected: -1, // k of the beat shown in the detail view
    sort: { key: "score", desc: true },
    upload: null, // { kind, name }
    before_s: DEFAULT_BEFORE_S,
    after_s: DEFAULT_AFTER_S,
    plots: { signal: null, overview: null, hist: null, detail: null },
    order: [], // beat k in list order
    shown: [], // the list's beats (order, filtered)
    busy: false,
  };

  // ---------------------------------------------------------------------------------- helpers

  const fmt = {
    int: (n) => Number(n).toLocaleString("en-US"),
    score(v) {
      if (v == null || !Number.isFinite(v)) return "—";
      const a = Math.abs(v);
      if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
      return v.toPrecision(a >= 100 ? 5 : 3);
    },
    time(t) {
      if (t == null || !Number.isFinite(t)) return "—";
      if (state.fs == null) return fmt.int(Math.round(t));
      if (state.duration < 60) return t.toFixed(2) + " s";
      const m = Math.floor(t / 60);
      const s = t - 60 * m;
      return `${m}:${s.toFixed(1).padStart(4, "0")}`;
    },
    axisTime(t, span) {
      if (state.fs == null) return fmt.int(Math.round(t));
      if (state.duration < 60) return t.toFixed(span < 2 ? 2 : span < 20 ? 1 : 0) + " s";
      const m = Math.floor(t / 60);
      const s = t - 60 * m;
      const digits = span < 2 ? 2 : span < 20 ? 1 : 0;
      return `${m}:${s.toFixed(digits).padStart(digits ? 3 + digits : 2, "0")}`;
    },
    bytes(n) {
      if (n < 1024) return `${n} B`;
      if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
      return `${(n / 1024 / 1024).toFixed(1)} MB`;
    },
  };

  function setStatus(text, kind = "info") {
    const el = $("status");
    el.textContent = text;
    el.className = `status ${kind}`;
  }

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text != null) node.textContent = text;
    return node;
  }

  /** First index i with arr[i].t >= t (beats are in time order). */
  function lowerBound(beats, t) {
    let lo = 0;
    let hi = beats.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (beats[mid].t < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function isFiniteScore(v) {
    return typeof v === "number" && Number.isFinite(v);
  }

  function quantile(sorted, q) {
    if (sorted.length === 0) return NaN;
    const pos = (sorted.length - 1) * q;
    const i = Math.floor(pos);
    const f = pos - i;
    return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
  }

  function debounce(fn, ms) {
    let timer = 0;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  // Coalesces threshold-driven redraws to one per animation frame (slider drags fire often).
  let frameQueued = false;
  function redrawSoon() {
    if (frameQueued) return;
    frameQueued = true;
    requestAnimationFrame(() => {
      frameQueued = false;
      const { signal, overview, hist } = state.plots;
      if (signal) signal.redraw(false);
      if (overview) overview.redraw(false);
      if (hist) updateHistogram();
    });
  }

  // ------------------------------------------------------------------------------ model info

  async function loadModel() {
    try {
      const res = await fetch("/v1/model", { headers: { Accept: "application/json" } });
      const body = await readJson(res);
      if (!res.ok) throw new Error(errorText(res, body));
      state.model = body;
      renderModel(body);
    } catch (err) {
      const box = $("model-info");
      box.replaceChildren();
      box.append(item("model", `unavailable (${err.message})`));
      box.classList.add("error");
    }
  }

  function item(term, value, title) {
    const div = el("div");
    if (title) div.title = title;
    div.append(el("dt", {}, term), el("dd", {}, value));
    return div;
  }

  function renderModel(m) {
    const box = $("model-info");
    box.replaceChildren();
    const nameDd = item("model", m.name ?? "detector");
    nameDd.querySelector("dd").id = "model-name";
    box.append(nameDd);
    if (m.kind) box.append(item("kind", String(m.kind).replace(/_/g, " ")));
    if (m.fs != null) box.append(item("rate", `${fmt.int(m.fs)} Hz`, "The model's sampling rate"));
    if (m.seq != null) {
      const ms = m.fs ? ` (${Math.round((1000 * m.seq) / m.fs)} ms)` : "";
      box.append(item("window", `${m.seq} samples${ms}`, "Samples per beat window"));
    }
    if (m.lead) box.append(item("lead", m.lead));
    const thr = m.threshold?.value ?? m.threshold;
    if (isFiniteScore(thr)) box.append(item("threshold", fmt.score(thr), "The detector's threshold"));
    const win = m.window ?? m.pipeline?.window ?? m;
    if (isFiniteScore(win.before_s) && isFiniteScore(win.after_s)) {
      state.before_s = win.before_s;
      state.after_s = win.after_s;
    }
  }

  // ---------------------------------------------------------------------------------- upload

  function chosenFiles() {
    return Array.from($("file").files || []);
  }

  function describeUpload(files) {
    if (files.length === 0) return { error: "Choose a file first." };
    const ext = (f) => (f.name.match(/\.([^.]+)$/)?.[1] || "").toLowerCase();
    const base = (f) => f.name.replace(/\.[^.]+$/, "");
    const heas = files.filter((f) => ext(f) === "hea");
    if (heas.length > 1) return { error: "Choose one WFDB record at a time (one .hea file)." };
    if (heas.length === 1) {
      const name = base(heas[0]);
      const dat = files.find((f) => ext(f) === "dat");
      if (!dat) {
        return { error: `A WFDB record needs its signal file too: select ${name}.hea and ${name}.dat together.` };
      }
      const parts = files.filter((f) => ["hea", "dat", "atr"].includes(ext(f)));
      return { kind: "wfdb", name, files: parts };
    }
    if (files.length > 1) {
      return { error: "Choose one CSV file, or a WFDB record's .hea and .dat (and .atr) together." };
    }
    const f = files[0];
    if (["dat", "atr"].includes(ext(f))) {
      return { error: `${f.name} is part of a WFDB record: select its .hea and .dat together.` };
    }
    return { kind: ext(f) === "json" ? "json" : "csv", name: base(f), files: [f] };
  }

  function onFilesChanged() {
    const files = chosenFiles();
    const desc = describeUpload(files);
    $("file-names").textContent = files.length
      ? files.map((f) => `${f.name} (${fmt.bytes(f.size)})`).join(", ")
      : "a CSV, or a WFDB record (.hea + .dat, optional .atr)";
    $("fs").disabled = desc.kind === "wfdb" || desc.kind === "json";
    $("fs").parentElement.title = desc.kind === "wfdb" ? "A WFDB record's header gives its rate" : "";
    $("analyze").disabled = files.length === 0 || state.busy;
    if (desc.error && files.length) setStatus(desc.error, "error");
    else if (files.length) setStatus(`Ready: ${desc.kind.toUpperCase()} ${desc.name}. Press Analyze.`);
  }

  async function analyze() {
    if (state.busy) return;
    const desc = describeUpload(chosenFiles());
    if (desc.error) {
      setStatus(desc.error, "error");
      return;
    }
    const params = new URLSearchParams({ include: "signal,reconstruction" });
    const lead = $("lead").value.trim();
    let body;
    const headers = { Accept: "application/json" };
    if (desc.kind === "csv") {
      const fs = Number($("fs").value);
      if (!(fs > 0)) {
        setStatus("The sampling rate must be a positive number of Hz.", "error");
        return;
      }
      params.set("fs", String(fs));
      if (lead !== "") params.set("lead", lead);
      headers["Content-Type"] = "text/csv";
      body = desc.files[0];
    } else if (desc.kind === "json") {
      headers["Content-Type"] = "application/json";
      body = desc.files[0];
    } else {
      if (lead !== "") params.set("lead", lead);
      body = new FormData();
      for (const f of desc.files) body.append(f.name, f, f.name);
    }
    const size = desc.files.reduce((n, f) => n + f.size, 0);
    state.busy = true;
    $("analyze").disabled = true;
    document.body.classList.add("busy");
    const started = performance.now();
    setStatus(`Analyzing ${desc.name} (${fmt.bytes(size)})…`, "busy");
    try {
      const res = await fetch(`/v1/detect?${params}`, { method: "POST", headers, body });
      const json = await readJson(res);
      if (!res.ok) {
        setStatus(errorText(res, json), "error");
        return;
      }
      if (!json || !Array.isArray(json.beats)) {
        setStatus("The server answered without beats: unexpected response.", "error");
        return;
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      state.upload = desc;
      // Let the status paint before the (possibly long) first render.
      setStatus(`Rendering ${fmt.int(json.beats.length)} beats…`, "busy");
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      show(json);
      const s = json.summary || {};
      setStatus(
        `${desc.name}: ${fmt.int(json.beats.length)} beats, ${fmt.int(s.flagged ?? state.flaggedCount)} flagged ` +
          `at the detector's threshold, analyzed in ${seconds} s`,
        "ok",
      );
      $("status").title = json.request_id ? `request ${json.request_id}` : "";
    } catch (err) {
      console.error(err);
      setStatus(`Request failed: ${err.message}`, "error");
    } finally {
      state.busy = false;
      document.body.classList.remove("busy");
      $("analyze").disabled = chosenFiles().length === 0;
    }
  }

  async function readJson(res) {
    const text = await res.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      return { raw: text };
    }
  }

  function errorText(res, body) {
    const e = body && body.error;
    if (e && typeof e === "object") {
      const code = e.code ? ` (${e.code})` : "";
      const id = e.request_id ? ` · request ${e.request_id}` : "";
      return `Error ${res.status}${code}: ${e.message || "no message"}${id}`;
    }
    if (typeof e === "string") return `Error ${res.status}: ${e}`;
    const raw = body && body.raw ? `: ${String(body.raw).slice(0, 300)}` : "";
    return `Error ${res.status} ${res.statusText}${raw}`;
  }

  // ------------------------------------------------------------------------------- results

  function show(result) {
    state.result = result;
    const sig = result.signal;
    state.fs = (sig && isFiniteScore(sig.fs) && sig.fs > 0 ? sig.fs : null) ?? (isFiniteScore(result.fs) ? result.fs : null);
    const toX = (p) => (p == null ? null : state.fs ? p / state.fs : p);
    const beats = result.beats.map((b, i) => ({ ...b, order: i, t: toX(b.position) }));
    beats.sort((a, b) => (a.t ?? Infinity) - (b.t ?? Infinity) || a.order - b.order);
    beats.forEach((b, k) => (b.k = k));
    state.beats = beats;
    state.flagged = new Uint8Array(beats.length);
    state.selected = -1;
    const values = sig && Array.isArray(sig.values) ? sig.values : null;
    const lastBeat = beats.length ? beats[beats.length - 1].t ?? 0 : 0;
    state.duration = values ? toX(Math.max(values.length - 1, 1)) : Math.max(lastBeat + state.after_s, 1);

    state.detectorThreshold = isFiniteScore(result.threshold) ? result.threshold : NaN;
    setupSlider();
    $("results").hidden = false;
    $("intro").hidden = true;

    buildTable();
    buildSignal(values);
    buildHistogram();
    clearDetail();
    setThreshold(state.detectorThreshold, { fromSlider: false });
    const caption = [
      state.fs ? `${fmt.int(state.fs)} Hz` : null,
      values ? `${fmt.int(values.length)} samples` : null,
      state.fs && values ? `${fmt.time(state.duration)}${state.duration >= 60 ? " min" : ""}` : null,
    ].filter(Boolean);
    $("signal-caption").textContent = `· ${state.upload.name} · ${caption.join(" · ")}`;
    const unusable = beats.filter((b) => b.usable === false).length;
    $("unusable-count").textContent = unusable ? `· ${fmt.int(unusable)} unusable` : "";
    $("unusable-count").title = "Beats that failed the quality check (flat, clipped or noisy)";
    $("beat-count").textContent = fmt.int(beats.length);
  }

  // --------------------------------------------------------------------------- threshold

  function setupSlider() {
    const scores = state.beats.map((b) => b.score).filter(isFiniteScore);
    const thr = state.detectorThreshold;
    let lo = Math.min(...scores, isFiniteScore(thr) ? thr : Infinity);
    let hi = Math.max(...scores, isFiniteScore(thr) ? thr : -Infinity);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      lo = 0;
      hi = 1;
    }
    if (hi <= lo) hi = lo + Math.abs(lo || 1);
    // A little past the highest score, so the slider's end flags nothing.
    const log = lo > 0 && hi / lo > 20;
    hi = log ? hi * 1.02 : hi + 0.02 * (hi - lo);
    state.slider = { lo, hi, log };
  }

  function sliderToValue(p) {
    const { lo, hi, log } = state.slider;
    const f = p / SLIDER_STEPS;
    return log ? lo * Math.pow(hi / lo, f) : lo + f * (hi - lo);
  }

  function valueToSlider(v) {
    const { lo, hi, log } = state.slider;
    const f = log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
    return Math.round(Math.min(1, Math.max(0, Number.isFinite(f) ? f : 0)) * SLIDER_STEPS);
  }

  function setThreshold(value, { fromSlider }) {
    if (!isFiniteScore(value)) value = sliderToValue(SLIDER_STEPS / 2);
    state.threshold = value;
    if (!fromSlider) $("threshold").value = String(valueToSlider(value));
    const input = $("threshold-value");
    if (document.activeElement !== input) input.value = fmt.score(value).replace("—", "");
    reflag();
  }

  /** Flags every beat whose score is above the threshold (as the detector does: score > t). */
  function reflag() {
    const thr = state.threshold;
    const { beats, flagged } = state;
    let count = 0;
    for (let k = 0; k < beats.length; k++) {
      const f = isFiniteScore(beats[k].score) && beats[k].score > thr ? 1 : 0;
      flagged[k] = f;
      count += f;
    }
    state.flaggedCount = count;
    $("flagged-count").textContent = fmt.int(count);
    $("threshold-reset").disabled = thr === state.detectorThreshold;
    $("results").classList.toggle("custom-threshold", thr !== state.detectorThreshold);
    updateAgreement();
    if (state.selected >= 0) renderDetailHeader(state.beats[state.selected]);
    renderRowsSoon();
    redrawSoon();
  }

  function updateAgreement() {
    const labelled = state.beats.filter((b) => typeof b.label === "string" && b.label !== "");
    const box = $("label-agreement");
    if (labelled.length === 0) {
      box.textContent = "";
      return;
    }
    let abnormal = 0;
    let caught = 0;
    let normal = 0;
    let falseAlarms = 0;
    for (const b of labelled) {
      const f = state.flagged[b.k] === 1;
      if (NORMAL_LABELS.has(b.label)) {
        normal++;
        if (f) falseAlarms++;
      } else {
        abnormal++;
        if (f) caught++;
      }
    }
    box.textContent = `labels: ${fmt.int(caught)} of ${fmt.int(abnormal)} abnormal beats flagged, ${fmt.int(falseAlarms)} of ${fmt.int(normal)} normal`;
    box.title = "Labels from the uploaded .atr; normal = AAMI class N (N, L, R, e, j)";
  }

  // ---------------------------------------------------------------------------- beat list
  // A virtual list: only the rows in view are in the DOM (a long record has thousands of beats,
  // and laying out thousands of table rows takes seconds on a slow machine).

  const ROW_H = 22;

  function buildTable() {
    sortRows();
    $("beat-scroll").scrollTop = 0;
    renderRows();
  }

  /** The beats the list shows, in list order (sorted, and filtered when "flagged only"). */
  function listed() {
    if (!$("only-flagged").checked) return state.order;
    return state.order.filter((k) => state.flagged[k] === 1);
  }

  let rowsQueued = false;
  function renderRowsSoon() {
    if (rowsQueued) return;
    rowsQueued = true;
    requestAnimationFrame(() => {
      rowsQueued = false;
      renderRows();
    });
  }

  function renderRows() {
    const scroller = $("beat-scroll");
    const list = $("beat-list");
    const shown = listed();
    state.shown = shown;
    list.style.height = `${shown.length * ROW_H}px`;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - 4);
    const last = Math.min(shown.length, first + Math.ceil((scroller.clientHeight || 300) / ROW_H) + 8);
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) frag.append(row(state.beats[shown[i]], i));
    list.replaceChildren(frag);
    if (shown.length === 0 && state.beats.length) {
      list.append(el("div", { class: "row empty" }, $("only-flagged").checked ? "No beat is flagged at this threshold." : "No beats."));
    }
  }

  function row(b, i) {
    const flagged = state.flagged[b.k] === 1;
    const cls = ["row"];
    if (flagged) cls.push("flagged");
    if (b.usable === false) cls.push("unusable");
    if (b.k === state.selected) cls.push("selected");
    const r = el("div", { class: cls.join(" "), role: "row", "data-k": String(b.k), "data-index": String(b.index) });
    r.style.top = `${i * ROW_H}px`;
    r.append(
      el("span", { class: "num" }, String(b.index)),
      el("span", { class: "num" }, fmt.time(b.t)),
      el("span", { class: "num" }, fmt.score(b.score)),
      el("span", { class: "num" }, isFiniteScore(b.calibrated) ? b.calibrated.toFixed(3) : "—"),
      el("span", { class: labelClass(b.label) }, (b.label ?? "") + (b.usable === false ? " ⚠" : "")),
    );
    if (b.usable === false) r.title = "Failed the quality check (flat, clipped or noisy)";
    return r;
  }

  function labelClass(label) {
    if (typeof label !== "string" || label === "") return "label";
    return NORMAL_LABELS.has(label) ? "label normal" : "label abnormal";
  }

  function sortRows() {
    const { key, desc } = state.sort;
    const val = {
      index: (b) => b.index,
      time: (b) => b.t ?? Infinity,
      score: (b) => (isFiniteScore(b.score) ? b.score : -Infinity),
      calibrated: (b) => (isFiniteScore(b.calibrated) ? b.calibrated : -Infinity),
      label: (b) => b.label ?? "",
    }[key];
    const order = state.beats.map((b) => b.k);
    order.sort((a, b) => {
      const va = val(state.beats[a]);
      const vb = val(state.beats[b]);
      const c = va < vb ? -1 : va > vb ? 1 : a - b;
      return desc ? -c : c;
    });
    state.order = order;
  }

  function onSortClick(e) {
    const th = e.target.closest("[data-sort]");
    if (!th) return;
    const key = th.dataset.sort;
    state.sort = { key, desc: state.sort.key === key ? !state.sort.desc : key === "score" || key === "calibrated" };
    for (const h of document.querySelectorAll("#beat-head [data-sort]")) h.classList.remove("sorted", "asc", "desc");
    th.classList.add("sorted", state.sort.desc ? "desc" : "asc");
    sortRows();
    renderRows();
    if (state.selected >= 0) scrollListTo(state.selected);
  }

  /** Scrolls the list so that beat k's row is in view (when the list shows it). */
  function scrollListTo(k) {
    const shown = state.shown || [];
    const i = shown.indexOf(k);
    if (i < 0) return;
    const scroller = $("beat-scroll");
    const top = i * ROW_H;
    if (top < scroller.scrollTop || top + ROW_H > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = Math.max(0, top - scroller.clientHeight / 2 + ROW_H / 2);
    }
    renderRows();
  }

  // ------------------------------------------------------------------------------ signal

  function plotWidth(id) {
    return Math.max(200, $(id).clientWidth);
  }

  function robustRange(values) {
    const step = Math.max(1, Math.floor(values.length / 100000));
    const sample = [];
    for (let i = 0; i < values.length; i += step) if (Number.isFinite(values[i])) sample.push(values[i]);
    Float64Array.from(sample).sort().forEach((v, i) => (sample[i] = v));
    if (sample.length === 0) return [-1, 1];
    const lo = quantile(sample, 0.0005);
    const hi = quantile(sample, 0.9995);
    const pad = 0.12 * (hi - lo || 1);
    return [lo - pad, hi + pad * 1.6]; // more room on top for the beat markers
  }

  function buildSignal(values) {
    for (const key of ["signal", "overview"]) {
      if (state.plots[key]) state.plots[key].destroy();
      state.plots[key] = null;
    }
    $("signal-plot").replaceChildren();
    $("overview-plot").replaceChildren();
    let xs;
    let ys;
    if (values && values.length) {
      const n = values.length;
      xs = new Float64Array(n);
      const scale = state.fs ? 1 / state.fs : 1;
      for (let i = 0; i < n; i++) xs[i] = i * scale;
      ys = values;
    } else {
      // No signal came back: the beats alone, as a baseline with markers.
      xs = [0, state.duration];
      ys = [0, 0];
    }
    const yRange = values && values.length ? robustRange(values) : [-1, 1];
    const duration = state.duration;
    const initial = Math.min(duration, state.fs ? DEFAULT_VIEW_S : 3600);

    const signal = new uPlot(
      {
        width: plotWidth("signal-plot"),
        height: 250,
        legend: { show: false },
        scales: {
          // Starts on the first seconds: drawing all of a long record first would cost seconds.
          x: { time: false, range: (u, min, max) => (u.status === 0 ? [0, initial] : clampRange(min, max)) },
          y: { range: () => yRange },
        },
        axes: [
          {
            stroke: COLORS.axis,
            grid: { stroke: COLORS.grid },
            ticks: { stroke: COLORS.grid },
            values: (u, splits) => splits.map((t) => fmt.axisTime(t, u.scales.x.max - u.scales.x.min)),
          },
          { stroke: COLORS.axis, grid: { stroke: COLORS.grid }, ticks: { stroke: COLORS.grid }, size: 48 },
        ],
        series: [{}, { stroke: COLORS.trace, width: 1.25, points: { show: false } }],
        cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false }, y: false },
        hooks: {
          drawClear: [drawBands],
          draw: [drawMarkers],
          setScale: [
            (u, key) => {
              if (key === "x") syncOverview();
            },
          ],
        },
      },
      [xs, ys],
      $("signal-plot"),
    );
    state.plots.signal = signal;
    signal.setScale("x", { min: 0, max: initial });
    attachSignalMouse(signal);

    // Overview of the whole record: min/max per bucket, with the main view's range selected.
    const [oxs, oys] = decimate(xs, ys, OVERVIEW_BUCKETS);
    const overview = new uPlot(
      {
        width: plotWidth("overview-plot"),
        height: 64,
        legend: { show: false },
        scales: { x: { time: false, range: () => [0, duration] }, y: { range: () => yRange } },
        axes: [
          {
            stroke: COLORS.axis,
            size: 22,
            grid: { show: false },
            ticks: { size: 3, stroke: COLORS.grid },
            font: "10px system-ui, sans-serif",
            values: (u, splits) => splits.map((t) => fmt.axisTime(t, duration)),
          },
          { show: false },
        ],
        series: [{}, { stroke: "#64748b", width: 1, points: { show: false } }],
        cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false }, y: false },
        select: { show: true },
        hooks: {
          draw: [drawOverviewMarks],
          setSelect: [
            (u) => {
              if (u.select.width < 3) return;
              const min = u.posToVal(u.select.left, "x");
              const max = u.posToVal(u.select.left + u.select.width, "x");
              state.plots.signal.setScale("x", clampRange(min, max));
            },
          ],
        },
      },
      [oxs, oys],
      $("overview-plot"),
    );
    state.plots.overview = overview;
    attachOverviewClick(overview);
    syncOverview();
  }

  function clampRange(min, max) {
    const total = state.duration;
    const minWidth = state.fs ? 0.25 : 10;
    let width = Math.max(max - min, minWidth);
    width = Math.min(width, total);
    let lo = Math.max(0, min);
    let hi = lo + width;
    if (hi > total) {
      hi = total;
      lo = Math.max(0, hi - width);
    }
    return [lo, hi];
  }

  function decimate(xs, ys, buckets) {
    const n = xs.length;
    if (n <= 2 * buckets) return [Array.from(xs), Array.from(ys)];
    const ox = [];
    const oy = [];
    const per = n / buckets;
    for (let b = 0; b < buckets; b++) {
      const i0 = Math.floor(b * per);
      const i1 = Math.min(n, Math.floor((b + 1) * per));
      let mn = Infinity;
      let mx = -Infinity;
      let imn = i0;
      let imx = i0;
      for (let i = i0; i < i1; i++) {
        const v = ys[i];
        if (v < mn) {
          mn = v;
          imn = i;
        }
        if (v > mx) {
          mx = v;
          imx = i;
        }
      }
      if (imn <= imx) {
        ox.push(xs[imn], xs[imx]);
        oy.push(mn, mx);
      } else {
        ox.push(xs[imx], xs[imn]);
        oy.push(mx, mn);
      }
    }
    return [ox, oy];
  }

  function syncOverview() {
    const { signal, overview } = state.plots;
    if (!signal || !overview) return;
    const { min, max } = signal.scales.x;
    if (min == null || max == null) return;
    const left = overview.valToPos(min, "x");
    const right = overview.valToPos(max, "x");
    overview.setSelect({ left, width: Math.max(2, right - left), top: 0, height: overview.bbox.height / devicePixelRatio }, false);
  }

  function visibleBeats(u, marginS) {
    const { min, max } = u.scales.x;
    const beats = state.beats;
    const i0 = lowerBound(beats, min - marginS);
    const i1 = lowerBound(beats, max + marginS);
    return [i0, i1];
  }

  /** Red bands behind the trace over each flagged beat's window; the selected beat in blue. */
  function drawBands(u) {
    if (!state.beats.length || u.scales.x.min == null) return;
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    const before = state.fs ? state.before_s : state.before_s * 360;
    const after = state.fs ? state.after_s : state.after_s * 360;
    const [i0, i1] = visibleBeats(u, Math.max(before, after));
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, top, u.bbox.width, height);
    ctx.clip();
    ctx.fillStyle = COLORS.flaggedBand;
    for (let k = i0; k < i1; k++) {
      if (!state.flagged[k]) continue;
      const t = state.beats[k].t;
      const x0 = u.valToPos(t - before, "x", true);
      const x1 = u.valToPos(t + after, "x", true);
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
    }
    const s = state.selected;
    if (s >= 0 && state.beats[s].t != null) {
      const t = state.beats[s].t;
      const x0 = u.valToPos(t - before, "x", true);
      const x1 = u.valToPos(t + after, "x", true);
      ctx.fillStyle = "rgba(37, 99, 235, 0.10)";
      ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
      ctx.strokeStyle = COLORS.selected;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.strokeRect(x0, top + 1, Math.max(2, x1 - x0), height - 2);
    }
    ctx.restore();
  }

  /** A marker above each R-peak (red when flagged, amber when unusable) and, zoomed in, labels. */
  function drawMarkers(u) {
    if (!state.beats.length || u.scales.x.min == null) return;
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    const { left, top, width } = u.bbox;
    const [i0, i1] = visibleBeats(u, 0);
    const span = u.scales.x.max - u.scales.x.min;
    const perPx = (i1 - i0) / (width / dpr);
    const showText = perPx < 1 / 14; // at least ~14 css px per beat
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, u.bbox.height);
    ctx.clip();
    ctx.font = `${Math.round(10 * dpr)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const r = 3.5 * dpr;
    let textEnd = -Infinity; // right edge of the last label drawn: labels never overlap
    for (let k = i0; k < i1; k++) {
      const b = state.beats[k];
      const x = u.valToPos(b.t, "x", true);
      const flagged = state.flagged[k] === 1;
      ctx.fillStyle = flagged ? COLORS.flagged : b.usable === false ? COLORS.unusable : COLORS.normal;
      ctx.beginPath();
      ctx.moveTo(x - r, top + 2 * dpr);
      ctx.lineTo(x + r, top + 2 * dpr);
      ctx.lineTo(x, top + 2 * dpr + 1.6 * r);
      ctx.closePath();
      ctx.fill();
      if (showText) {
        const parts = [];
        if (typeof b.label === "string" && b.label) parts.push(b.label);
        if (span < 12) parts.push(fmt.score(b.score));
        const text = parts.join(" · ");
        const half = ctx.measureText(text).width / 2;
        if (text && x - half > textEnd + 4 * dpr) {
          ctx.fillStyle = flagged ? COLORS.flagged : typeof b.label === "string" && !NORMAL_LABELS.has(b.label) ? "#7c3aed" : "#64748b";
          ctx.fillText(text, x, top + 4 * dpr + 1.6 * r);
          textEnd = x + half;
        }
      }
    }
    ctx.restore();
  }

  function drawOverviewMarks(u) {
    if (!state.beats.length) return;
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    const { top } = u.bbox;
    ctx.save();
    ctx.fillStyle = COLORS.flagged;
    for (let k = 0; k < state.beats.length; k++) {
      if (!state.flagged[k]) continue;
      const x = u.valToPos(state.beats[k].t, "x", true);
      ctx.fillRect(x - 0.5 * dpr, top, 1.5 * dpr, 7 * dpr);
    }
    ctx.restore();
  }

  function attachSignalMouse(u) {
    const over = u.over;
    let down = null;
    // Shift+drag pans (captured before uPlot starts its zoom selection).
    over.addEventListener(
      "mousedown",
      (e) => {
        down = { x: e.clientX, y: e.clientY };
        if (!e.shiftKey) return;
        e.stopPropagation();
        e.preventDefault();
        const start = e.clientX;
        const { min, max } = u.scales.x;
        const perPx = (max - min) / (u.bbox.width / devicePixelRatio);
        const move = (ev) => {
          const dx = (ev.clientX - start) * perPx;
          const [lo, hi] = clampRange(min - dx, max - dx);
          u.setScale("x", { min: lo, max: hi });
        };
        const up = () => {
          window.removeEventListener("mousemove", move);
          window.removeEventListener("mouseup", up);
        };
        window.addEventListener("mousemove", move);
        window.addEventListener("mouseup", up);
      },
      true,
    );
    over.addEventListener("click", (e) => {
      if (down && Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4) return; // a drag
      if (!state.beats.length) return;
      const rect = over.getBoundingClientRect();
      const t = u.posToVal(e.clientX - rect.left, "x");
      const k = nearestBeat(t);
      if (k < 0) return;
      const px = Math.abs(u.valToPos(state.beats[k].t, "x") - (e.clientX - rect.left));
      if (px <= 24) selectBeat(k, { scrollList: true, center: false });
    });
    // Wheel zooms around the cursor.
    over.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const rect = over.getBoundingClientRect();
        const at = u.posToVal(e.clientX - rect.left, "x");
        const { min, max } = u.scales.x;
        const factor = e.deltaY < 0 ? 0.8 : 1.25;
        const lo = at - (at - min) * factor;
        const hi = at + (max - at) * factor;
        const [a, b] = clampRange(lo, hi);
        u.setScale("x", { min: a, max: b });
      },
      { passive: false },
    );
    // Double-click: the whole record (uPlot's own reset, but through our clamp).
    over.addEventListener("dblclick", () => u.setScale("x", { min: 0, max: state.duration }));
  }

  function attachOverviewClick(u) {
    let down = null;
    u.over.addEventListener("mousedown", (e) => (down = { x: e.clientX }));
    u.over.addEventListener("click", (e) => {
      if (down && Math.abs(e.clientX - down.x) > 3) return;
      const rect = u.over.getBoundingClientRect();
      const t = u.posToVal(e.clientX - rect.left, "x");
      centerOn(t);
    });
  }

  function centerOn(t, width) {
    const signal = state.plots.signal;
    if (!signal) return;
    const { min, max } = signal.scales.x;
    const w = width ?? max - min;
    const [lo, hi] = clampRange(t - w / 2, t + w / 2);
    signal.setScale("x", { min: lo, max: hi });
  }

  function nearestBeat(t) {
    const beats = state.beats;
    if (!beats.length) return -1;
    const i = lowerBound(beats, t);
    let best = -1;
    let dist = Infinity;
    for (const k of [i - 1, i]) {
      if (k >= 0 && k < beats.length && beats[k].t != null) {
        const d = Math.abs(beats[k].t - t);
        if (d < dist) {
          dist = d;
          best = k;
        }
      }
    }
    return best;
  }

  function pan(fraction) {
    const signal = state.plots.signal;
    if (!signal) return;
    const { min, max } = signal.scales.x;
    const d = (max - min) * fraction;
    const [lo, hi] = clampRange(min + d, max + d);
    signal.setScale("x", { min: lo, max: hi });
  }

  // ---------------------------------------------------------------------------- histogram

  function histogramBins() {
    const scores = state.beats.map((b) => b.score).filter(isFiniteScore).sort((a, b) => a - b);
    if (!scores.length) return null;
    const thr = state.threshold;
    const lo = Math.min(scores[0], isFiniteScore(thr) ? thr : Infinity);
    // The bulk and the threshold, not one extreme outlier: scores past the 99.5th percentile
    // (and past twice the threshold's distance) share the last bin.
    let hi = Math.max(quantile(scores, 0.995), isFiniteScore(state.detectorThreshold) ? lo + 2 * (state.detectorThreshold - lo) : -Infinity);
    hi = Math.min(hi, scores[scores.length - 1]);
    if (!(hi > lo)) hi = lo + 1;
    const width = (hi - lo) / (HIST_BINS - 1);
    return { lo, hi, width, overflow: scores[scores.length - 1] > hi + width };
  }

  function histogramData() {
    const bins = state.hist;
    const xs = [];
    const normal = new Array(HIST_BINS).fill(0);
    const flagged = new Array(HIST_BINS).fill(0);
    for (let i = 0; i < HIST_BINS; i++) xs.push(bins.lo + (i + 0.5) * bins.width);
    for (const b of state.beats) {
      if (!isFiniteScore(b.score)) continue;
      const i = Math.min(HIST_BINS - 1, Math.max(0, Math.floor((b.score - bins.lo) / bins.width)));
      if (state.flagged[b.k]) flagged[i]++;
      else normal[i]++;
    }
    return [xs, normal.map((v) => v || null), flagged.map((v) => v || null)];
  }

  function buildHistogram() {
    if (state.plots.hist) state.plots.hist.destroy();
    state.plots.hist = null;
    $("histogram").replaceChildren();
    state.hist = histogramBins();
    if (!state.hist) {
      $("histogram").append(el("p", { class: "muted placeholder" }, "No scores."));
      return;
    }
    const bins = state.hist;
    const bars = uPlot.paths.bars({ size: [0.92, Infinity], align: 0 });
    const hist = new uPlot(
      {
        width: plotWidth("histogram"),
        height: 230,
        legend: { show: false },
        scales: {
          x: { time: false, range: () => [bins.lo, bins.lo + HIST_BINS * bins.width] },
          y: { distr: 4, asinh: 1, range: (u, min, max) => [0, Math.max(10, max * 1.3)] },
        },
        axes: [
          {
            stroke: COLORS.axis,
            grid: { show: false },
            ticks: { stroke: COLORS.grid },
            values: (u, splits) => splits.map((v) => fmt.score(v)),
            label: bins.overflow ? "score (last bar: all higher)" : "score",
            labelSize: 16,
            labelFont: "11px system-ui, sans-serif",
          },
          {
            stroke: COLORS.axis,
            grid: { stroke: COLORS.grid },
            ticks: { stroke: COLORS.grid },
            size: 40,
            label: "beats",
            labelSize: 16,
            labelFont: "11px system-ui, sans-serif",
            values: (u, splits) => splits.map((v) => (v >= 1 ? fmt.int(v) : v === 0 ? "0" : "")),
          },
        ],
        series: [
          {},
          { label: "normal", fill: "rgba(100, 116, 139, 0.55)", stroke: "#64748b", width: 0, paths: bars, points: { show: false } },
          { label: "flagged", fill: "rgba(220, 38, 38, 0.75)", stroke: COLORS.flagged, width: 0, paths: bars, points: { show: false } },
        ],
        cursor: { show: false },
        hooks: { draw: [drawThresholdLine] },
      },
      histogramData(),
      $("histogram"),
    );
    state.plots.hist = hist;
    $("hist-caption").textContent = `· ${fmt.int(state.beats.length)} beats`;
  }

  function updateHistogram() {
    const hist = state.plots.hist;
    if (hist && state.hist) hist.setData(histogramData());
  }

  function drawThresholdLine(u) {
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    const { top, height, left, width } = u.bbox;
    const line = (v, color, text, dash) => {
      if (!isFiniteScore(v)) return;
      let x = u.valToPos(Math.min(v, u.scales.x.max), "x", true);
      x = Math.min(left + width, Math.max(left, x));
      ctx.save();
      ctx.strokeStyle = color;
      ctx.lineWidth = 2 * dpr;
      ctx.setLineDash(dash.map((d) => d * dpr));
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      if (text) {
        ctx.setLineDash([]);
        ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
        ctx.fillStyle = color;
        const right = x + 6 * dpr + ctx.measureText(text).width > left + width;
        ctx.textAlign = right ? "right" : "left";
        ctx.textBaseline = "top";
        ctx.fillText(text, x + (right ? -5 : 5) * dpr, top + 4 * dpr);
      }
      ctx.restore();
    };
    if (state.threshold !== state.detectorThreshold) {
      line(state.detectorThreshold, "rgba(71, 85, 105, 0.6)", "", [3, 3]);
    }
    line(state.threshold, COLORS.flagged, `threshold ${fmt.score(state.threshold)}`, [6, 3]);
    if (state.selected >= 0) {
      const b = state.beats[state.selected];
      line(b.score, COLORS.selected, "", [2, 2]);
    }
  }

  // ------------------------------------------------------------------------------- detail

  function clearDetail() {
    if (state.plots.detail) state.plots.detail.destroy();
    state.plots.detail = null;
    const box = $("beat-detail");
    box.className = "detail empty";
    box.removeAttribute("data-index");
    box.replaceChildren(
      el("p", { class: "muted placeholder" }, "Click a beat in the signal or in the list to see it beside its reconstruction and its per-sample error."),
    );
    $("detail-title").textContent = "— click a beat";
  }

  function selectBeat(k, { scrollList = true, center = true } = {}) {
    if (k < 0 || k >= state.beats.length) return;
    state.selected = k;
    if (scrollList) scrollListTo(k);
    else renderRows();
    const b = state.beats[k];
    if (center && b.t != null && state.plots.signal) {
      const { min, max } = state.plots.signal.scales.x;
      const width = max - min;
      const wanted = state.fs && width > 30 ? DEFAULT_VIEW_S : width;
      if (b.t < min + 0.1 * width || b.t > max - 0.1 * width || wanted !== width) centerOn(b.t, wanted);
    }
    renderDetail(b);
    redrawSoon();
  }

  function renderDetailHeader(b) {
    const flagged = state.flagged[b.k] === 1;
    $("detail-title").textContent = `#${b.index} · ${fmt.time(b.t)}${b.label ? ` · label ${b.label}` : ""}`;
    const stats = $("detail-stats");
    if (!stats) return;
    stats.replaceChildren();
    const add = (term, value, cls) => {
      const div = el("div", cls ? { class: cls } : {});
      div.append(el("dt", {}, term), el("dd", {}, value));
      stats.append(div);
    };
    add("verdict", flagged ? "flagged" : "normal", flagged ? "verdict flagged" : "verdict ok");
    add("score", fmt.score(b.score));
    add("threshold", fmt.score(state.threshold));
    if (isFiniteScore(b.model_score) && b.model_score !== b.score) add("model score", fmt.score(b.model_score));
    if (isFiniteScore(b.calibrated)) add("calibrated", b.calibrated.toFixed(3));
    if (b.position != null) add("sample", fmt.int(b.position));
    if (b.usable === false) add("quality", "unusable", "verdict warn");
    $("beat-detail").classList.toggle("is-flagged", flagged);
  }

  function renderDetail(b) {
    if (state.plots.detail) state.plots.detail.destroy();
    state.plots.detail = null;
    const box = $("beat-detail");
    box.className = "detail";
    box.dataset.index = String(b.index);
    box.replaceChildren();
    const stats = el("dl", { id: "detail-stats", class: "stats" });
    const plot = el("div", { id: "detail-plot", class: "plot" });
    const legend = el("div", { class: "detail-legend" });
    box.append(stats, plot, legend);
    renderDetailHeader(b);

    const error = Array.isArray(b.error) ? b.error : [];
    const input = Array.isArray(b.input) ? b.input : null;
    const recon = Array.isArray(b.reconstruction) ? b.reconstruction : null;
    const n = Math.max(error.length, input ? input.length : 0, recon ? recon.length : 0);
    if (n === 0) {
      plot.append(el("p", { class: "muted placeholder" }, "The server sent no per-sample data for this beat."));
      return;
    }
    const mfs = state.model && isFiniteScore(state.model.fs) ? state.model.fs : null;
    const xs = [];
    for (let i = 0; i < n; i++) xs.push(mfs ? (1000 * i) / mfs - 1000 * state.before_s : i);
    const pad = (a) => (a ? Array.from({ length: n }, (_, i) => (i < a.length ? a[i] : null)) : null);
    const data = [xs];
    const series = [{}];
    const items = [];
    if (input) {
      data.push(pad(input));
      series.push({ label: "beat", stroke: COLORS.trace, width: 1.75, scale: "y", points: { show: false } });
      items.push(["beat (normalised)", COLORS.trace, "solid"]);
    }
    if (recon) {
      data.push(pad(recon));
      series.push({ label: "reconstruction", stroke: COLORS.reconstruction, width: 1.75, dash: [5, 3], scale: "y", points: { show: false } });
      items.push(["reconstruction", COLORS.reconstruction, "dashed"]);
    }
    data.push(pad(error));
    series.push({ label: "error", stroke: COLORS.error, fill: COLORS.errorFill, width: 1, scale: "err", points: { show: false } });
    items.push(["per-sample error (right axis)", COLORS.error, "area"]);
    const maxErr = Math.max(1e-12, ...error.filter(Number.isFinite));
    const axes = [
      {
        stroke: COLORS.axis,
        grid: { stroke: COLORS.grid },
        ticks: { stroke: COLORS.grid },
        values: (u, splits) => splits.map((v) => (mfs ? `${Math.round(v)} ms` : String(v))),
      },
    ];
    if (input || recon) axes.push({ scale: "y", stroke: COLORS.axis, grid: { stroke: COLORS.grid }, ticks: { stroke: COLORS.grid }, size: 40 });
    axes.push({
      scale: "err",
      side: 1,
      stroke: COLORS.error,
      grid: { show: !(input || recon) },
      ticks: { stroke: COLORS.grid },
      size: 48,
      values: (u, splits) => splits.map((v) => fmt.score(v)),
    });
    state.plots.detail = new uPlot(
      {
        width: Math.max(200, box.clientWidth),
        height: 190,
        legend: { show: false },
        scales: { x: { time: false }, err: { range: () => [0, maxErr * (input || recon ? 3 : 1.1)] } },
        axes,
        series,
        cursor: { points: { show: false }, drag: { x: false, y: false } },
        hooks: {
          draw: [
            (u) => {
              // The R-peak: time 0.
              if (!mfs) return;
              const x = u.valToPos(0, "x", true);
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = "rgba(15, 23, 42, 0.25)";
              ctx.setLineDash([2 * devicePixelRatio, 3 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            },
          ],
        },
      },
      data,
      plot,
    );
    for (const [label, color, style] of items) {
      const span = el("span", { class: `key ${style}` });
      span.style.setProperty("--key", color);
      legend.append(span, el("span", {}, label));
    }
  }

  function stepFlagged(direction) {
    if (!state.beats.length) return;
    const from = state.selected >= 0 ? state.selected : direction > 0 ? -1 : state.beats.length;
    for (let k = from + direction; k >= 0 && k < state.beats.length; k += direction) {
      if (state.flagged[k]) {
        selectBeat(k);
        return;
      }
    }
    setStatus(direction > 0 ? "No flagged beat after this one." : "No flagged beat before this one.", "info");
  }

  // ------------------------------------------------------------------------------ download

  function csvField(v) {
    const s = v == null ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }

  /** The verdicts at the current threshold, one row per beat in time order. */
  function verdictsCsv() {
    const lines = ["index,position,time_s,score,model_score,calibrated,flagged,usable,label"];
    for (const b of state.beats) {
      lines.push(
        [
          b.index,
          b.position,
          state.fs && b.t != null ? b.t.toFixed(4) : "",
          b.score,
          b.model_score,
          b.calibrated,
          state.flagged[b.k] === 1,
          b.usable,
          b.label ?? "",
        ]
          .map(csvField)
          .join(","),
      );
    }
    return lines.join("\n") + "\n";
  }

  function download() {
    if (!state.beats.length) return;
    const blob = new Blob([verdictsCsv()], { type: "text/csv" });
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: `${state.upload?.name || "recording"}-verdicts.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // -------------------------------------------------------------------------------- wiring

  function init() {
    if (typeof uPlot !== "function") {
      setStatus("The plotting library failed to load (/assets/vendor/uPlot.iife.min.js).", "error");
      return;
    }
    $("file").addEventListener("change", onFilesChanged);
    $("analyze").addEventListener("click", analyze);
    $("threshold").addEventListener("input", (e) => {
      if (!state.slider) return;
      setThreshold(sliderToValue(Number(e.target.value)), { fromSlider: true });
    });
    $("threshold-value").addEventListener("change", (e) => {
      const v = Number(e.target.value);
      if (Number.isFinite(v)) setThreshold(v, { fromSlider: false });
    });
    $("threshold-reset").addEventListener("click", () => setThreshold(state.detectorThreshold, { fromSlider: false }));
    $("download").addEventListener("click", download);
    $("prev-flagged").addEventListener("click", () => stepFlagged(-1));
    $("next-flagged").addEventListener("click", () => stepFlagged(1));
    $("only-flagged").addEventListener("change", () => {
      renderRows();
      if (state.selected >= 0) scrollListTo(state.selected);
    });
    $("beat-head").addEventListener("click", onSortClick);
    $("beat-scroll").addEventListener("scroll", renderRowsSoon, { passive: true });
    $("beat-list").addEventListener("click", (e) => {
      const r = e.target.closest(".row[data-k]");
      if (r) selectBeat(Number(r.dataset.k), { scrollList: false });
    });
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
      if (!state.beats.length) return;
      if (e.key === "n") stepFlagged(1);
      else if (e.key === "p") stepFlagged(-1);
      else if (e.key === "ArrowRight") pan(0.8);
      else if (e.key === "ArrowLeft") pan(-0.8);
      else return;
      e.preventDefault();
    });
    // Drop files anywhere on the page.
    document.addEventListener("dragover", (e) => {
      e.preventDefault();
      document.body.classList.add("dragging");
    });
    document.addEventListener("dragleave", (e) => {
      if (e.target === document.documentElement || e.clientX <= 0) document.body.classList.remove("dragging");
    });
    document.addEventListener("drop", (e) => {
      e.preventDefault();
      document.body.classList.remove("dragging");
      if (e.dataTransfer?.files?.length) {
        $("file").files = e.dataTransfer.files;
        onFilesChanged();
      }
    });
    window.addEventListener(
      "resize",
      debounce(() => {
        const { signal, overview, hist } = state.plots;
        if (signal) signal.setSize({ width: plotWidth("signal-plot"), height: 250 });
        if (overview) {
          overview.setSize({ width: plotWidth("overview-plot"), height: 64 });
          syncOverview();
        }
        if (hist) hist.setSize({ width: plotWidth("histogram"), height: 230 });
        if (state.selected >= 0) renderDetail(state.beats[state.selected]);
      }, 150),
    );
    onFilesChanged();
    loadModel();
  }

  // For tests and the curious: the state and the CSV the download button saves.
  window.ecgDashboard = { state, verdictsCsv, selectBeat, centerOn, setThreshold: (v) => setThreshold(v, { fromSlider: false }) };

  init();
})();
