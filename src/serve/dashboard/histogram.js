// The score histogram: normal and flagged beats stacked per bin, the threshold (and the
// detector's, when moved) and the selected beat's score as lines. Linear in the score, which
// may be negative (z-scores in context); the count axis is asinh, for the few beats in the tail.

import { $, el } from "./dom.js";
import { fmt, isFiniteScore, quantile } from "./format.js";
import { scoreInContext } from "./model.js";
import { state } from "./state.js";
import { COLORS, FONT } from "./theme.js";

const HIST_BINS = 48;
const HIST_H = 230;

function histogramBins() {
  const scores = state.beats.map((b) => b.score).filter(isFiniteScore).sort((a, b) => a - b);
  if (!scores.length) return null;
  // From the lowest score (or the detector's threshold, if lower) to the bulk and the
  // threshold, not one extreme outlier: scores past the 99.5th percentile (and past twice the
  // threshold's distance) share the last bin.
  const det = state.detectorThreshold;
  const lo = Math.min(scores[0], isFiniteScore(det) ? det : Infinity);
  let hi = Math.max(quantile(scores, 0.995), isFiniteScore(det) ? lo + 2 * (det - lo) : -Infinity);
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

export function buildHistogram() {
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
  const name = scoreInContext() ? "score (z in context)" : "score";
  const axisLabel = { labelSize: 16, labelFont: `11px ${FONT}` };
  state.plots.hist = new uPlot(
    {
      width: plotWidth(),
      height: HIST_H,
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
          label: bins.overflow ? `${name} (last bar: all higher)` : name,
          ...axisLabel,
        },
        {
          stroke: COLORS.axis,
          grid: { stroke: COLORS.grid },
          ticks: { stroke: COLORS.grid },
          size: 40,
          label: "beats",
          ...axisLabel,
          values: (u, splits) => splits.map((v) => (v >= 1 ? fmt.int(v) : v === 0 ? "0" : "")),
        },
      ],
      series: [
        {},
        { label: "normal", fill: "rgba(100, 116, 139, 0.55)", stroke: COLORS.muted, width: 0, paths: bars, points: { show: false } },
        { label: "flagged", fill: "rgba(220, 38, 38, 0.75)", stroke: COLORS.flagged, width: 0, paths: bars, points: { show: false } },
      ],
      cursor: { show: false },
      hooks: { draw: [drawThresholdLine] },
    },
    histogramData(),
    $("histogram"),
  );
  $("hist-caption").textContent = `· ${fmt.int(state.beats.length)} beats`;
}

function plotWidth() {
  return Math.max(200, $("histogram").clientWidth);
}

/** New counts per bin after the threshold moved (the bins stay). */
export function updateHistogram() {
  const hist = state.plots.hist;
  if (hist && state.hist) hist.setData(histogramData());
}

export function resizeHistogram() {
  const hist = state.plots.hist;
  if (hist) hist.setSize({ width: plotWidth(), height: HIST_H });
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
      ctx.font = `${Math.round(11 * dpr)}px ${FONT}`;
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
    line(state.beats[state.selected].score, COLORS.selected, "", [2, 2]);
  }
}
