// One beat in detail: its verdict and scores, and its normalised window beside the model's
// reconstruction and the per-sample error, in ms from the R-peak (the window from /v1/model);
// choosing a beat (a click, the list, n/p) and stepping between flagged beats.

import { DEFAULT_VIEW_S, centerOn, redrawSoon } from "./chart.js";
import { $, el, setStatus } from "./dom.js";
import { fmt, isFiniteScore } from "./format.js";
import { beatWindow, modelFs, scoreInContext } from "./model.js";
import { state } from "./state.js";
import { renderRows, scrollListTo } from "./table.js";
import { COLORS } from "./theme.js";

const DETAIL_H = 190;
const PLACEHOLDER = "Click a beat in the signal or in the list to see it beside its reconstruction and its per-sample error.";

export function clearDetail() {
  if (state.plots.detail) state.plots.detail.destroy();
  state.plots.detail = null;
  const box = $("beat-detail");
  box.className = "detail empty";
  box.removeAttribute("data-index");
  box.replaceChildren(el("p", { class: "muted placeholder" }, PLACEHOLDER));
  $("detail-title").textContent = "— click a beat";
}

/** Shows beat k: selected in the list and the plots, centred in the signal when `center`. */
export function selectBeat(k, { scrollList = true, center = true } = {}) {
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

/** Selects the next (1) or previous (-1) flagged beat in time. */
export function stepFlagged(direction) {
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

/** The title and the verdict of the beat shown (again after the threshold moved). */
export function renderDetailHeader(b) {
  const flagged = state.flagged[b.k] === 1;
  $("detail-title").textContent = `#${b.index} · ${fmt.time(b.t)}${b.label ? ` · label ${b.label}` : ""}`;
  const stats = $("detail-stats");
  if (!stats) return;
  stats.replaceChildren();
  const add = (term, value, cls, title) => {
    const div = el("div", cls ? { class: cls } : {});
    if (title) div.title = title;
    div.append(el("dt", {}, term), el("dd", {}, value));
    stats.append(div);
  };
  add("verdict", flagged ? "flagged" : "normal", flagged ? "verdict flagged" : "verdict ok");
  add("score", fmt.score(b.score), null, scoreInContext() ? "A z-score against the beat's recording and rhythm" : "");
  add("threshold", fmt.score(state.threshold));
  if (isFiniteScore(b.model_score) && b.model_score !== b.score) {
    add("model score", fmt.score(b.model_score), null, "The model's own score, before context");
  }
  if (isFiniteScore(b.calibrated)) {
    add("calibrated", b.calibrated.toFixed(3), null, "The share of held-out normal beats scoring lower");
  }
  if (b.position != null) add("sample", fmt.int(b.position));
  if (b.usable === false) add("quality", "unusable", "verdict warn");
  $("beat-detail").classList.toggle("is-flagged", flagged);
}

/** x of each of the window's `n` samples: ms from the R-peak when the model's rate and window are known. */
function detailAxis(n) {
  const fs = modelFs();
  const before = beatWindow()?.before;
  const xs = [];
  if (fs && before != null) {
    for (let i = 0; i < n; i++) xs.push((1000 * (i - before)) / fs);
    return { xs, ms: true };
  }
  for (let i = 0; i < n; i++) xs.push(i);
  return { xs, ms: false };
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
  const { xs, ms } = detailAxis(n);
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
  const finite = error.filter(Number.isFinite);
  const maxErr = Math.max(1e-12, ...finite);
  const minErr = Math.min(0, ...finite);
  const overlay = Boolean(input || recon);
  const axes = [
    {
      stroke: COLORS.axis,
      grid: { stroke: COLORS.grid },
      ticks: { stroke: COLORS.grid },
      values: (u, splits) => splits.map((v) => (ms ? `${Math.round(v)} ms` : String(v))),
    },
  ];
  if (overlay) axes.push({ scale: "y", stroke: COLORS.axis, grid: { stroke: COLORS.grid }, ticks: { stroke: COLORS.grid }, size: 40 });
  axes.push({
    scale: "err",
    side: 1,
    stroke: COLORS.error,
    grid: { show: !overlay },
    ticks: { stroke: COLORS.grid },
    size: 48,
    values: (u, splits) => splits.map((v) => fmt.score(v)),
  });
  state.plots.detail = new uPlot(
    {
      width: Math.max(200, box.clientWidth),
      height: DETAIL_H,
      legend: { show: false },
      scales: { x: { time: false }, err: { range: () => [minErr, maxErr * (overlay ? 3 : 1.1)] } },
      axes,
      series,
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      hooks: { draw: [(u) => ms && drawRPeak(u)] },
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

/** A dashed line at the R-peak: time 0. */
function drawRPeak(u) {
  const x = u.valToPos(0, "x", true);
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = COLORS.rPeak;
  ctx.setLineDash([2 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(x, u.bbox.top);
  ctx.lineTo(x, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.restore();
}

/** Draws the beat shown again at its panel's new width. */
export function resizeDetail() {
  if (state.selected >= 0) renderDetail(state.beats[state.selected]);
}
