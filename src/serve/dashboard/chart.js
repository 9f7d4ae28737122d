// The signal plot (uPlot, loaded as a classic script before the modules: the global `uPlot`)
// with a marker per beat and a band over each flagged beat's window, the overview of the whole
// record under it, and their zoom, pan and clicks.

import { $, onNextFrame } from "./dom.js";
import { fmt, lowerBound, quantile } from "./format.js";
import { updateHistogram } from "./histogram.js";
import { aamiClass, beatWindow } from "./model.js";
import { state } from "./state.js";
import { COLORS, FONT } from "./theme.js";

/** Seconds the signal plot first shows (and zooms to when a beat is chosen from far out). */
export const DEFAULT_VIEW_S = 10;
const OVERVIEW_BUCKETS = 2000;
const SIGNAL_H = 250;
const OVERVIEW_H = 64;

let beatClicked = () => {};

/** What a click on a beat in the signal plot does (main.js: select it). */
export function onBeatClick(fn) {
  beatClicked = fn;
}

/** Redraws the plots once on the next frame (slider drags fire often). */
export const redrawSoon = onNextFrame(() => {
  const { signal, overview, hist } = state.plots;
  if (signal) signal.redraw(false);
  if (overview) overview.redraw(false);
  if (hist) updateHistogram();
});

function plotWidth(id) {
  return Math.max(200, $(id).clientWidth);
}

function robustRange(values) {
  const step = Math.max(1, Math.floor(values.length / 100000));
  const sample = [];
  for (let i = 0; i < values.length; i += step) if (Number.isFinite(values[i])) sample.push(values[i]);
  if (sample.length === 0) return [-1, 1];
  const sorted = Float64Array.from(sample).sort();
  const lo = quantile(sorted, 0.0005);
  const hi = quantile(sorted, 0.9995);
  const pad = 0.12 * (hi - lo || 1);
  return [lo - pad, hi + pad * 1.6]; // more room on top for the beat markers
}

/** The beat window's extent before and after the R-peak in x units (seconds, or samples). */
function windowExtent() {
  const w = beatWindow();
  if (!w) return [0, 0];
  if (state.fs) return [w.before_s, w.after_s];
  // Positions in samples at a rate the response did not give: the model's own is the guess.
  return [w.before ?? 0, w.after ?? 0];
}

export function buildSignal(values) {
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
      height: SIGNAL_H,
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
      height: OVERVIEW_H,
      legend: { show: false },
      scales: { x: { time: false, range: () => [0, duration] }, y: { range: () => yRange } },
      axes: [
        {
          stroke: COLORS.axis,
          size: 22,
          grid: { show: false },
          ticks: { size: 3, stroke: COLORS.grid },
          font: `10px ${FONT}`,
          values: (u, splits) => splits.map((t) => fmt.axisTime(t, duration)),
        },
        { show: false },
      ],
      series: [{}, { stroke: COLORS.muted, width: 1, points: { show: false } }],
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

/** Fits the plots to their panels' new widths. */
export function resizeSignal() {
  const { signal, overview } = state.plots;
  if (signal) signal.setSize({ width: plotWidth("signal-plot"), height: SIGNAL_H });
  if (overview) {
    overview.setSize({ width: plotWidth("overview-plot"), height: OVERVIEW_H });
    syncOverview();
  }
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

function visibleBeats(u, margin) {
  const { min, max } = u.scales.x;
  const beats = state.beats;
  return [lowerBound(beats, min - margin), lowerBound(beats, max + margin)];
}

/** Red bands behind the trace over each flagged beat's window; the selected beat in blue. */
function drawBands(u) {
  if (!state.beats.length || u.scales.x.min == null) return;
  const ctx = u.ctx;
  const { top, height } = u.bbox;
  const [before, after] = windowExtent();
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
    ctx.fillStyle = COLORS.selectedBand;
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
  ctx.font = `${Math.round(10 * dpr)}px ${FONT}`;
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
        const cls = aamiClass(b.label);
        ctx.fillStyle = flagged ? COLORS.flagged : cls != null && cls !== "N" ? COLORS.abnormalLabel : COLORS.muted;
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
    if (px <= 24) beatClicked(k);
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

/** Centres the signal plot on `t`, `width` wide (default: the current width). */
export function centerOn(t, width) {
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

/** Moves the signal plot's view by `fraction` of its width (negative: back). */
export function pan(fraction) {
  const signal = state.plots.signal;
  if (!signal) return;
  const { min, max } = signal.scales.x;
  const d = (max - min) * fraction;
  const [lo, hi] = clampRange(min + d, max + d);
  signal.setScale("x", { min: lo, max: hi });
}
