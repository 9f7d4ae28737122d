// The threshold: the slider (its range spans the returned scores, logarithmically only when
// they are all positive and span more than 20x: scores in context are z-scores, often
// negative), the number field, and re-flagging every beat whose score is above it, as the
// detector does (score > threshold).

import { redrawSoon } from "./chart.js";
import { renderDetailHeader } from "./detail.js";
import { $ } from "./dom.js";
import { fmt, isFiniteScore } from "./format.js";
import { aamiClass, normalLabels } from "./model.js";
import { state } from "./state.js";
import { renderRowsSoon } from "./table.js";

/** Maps the slider's range (0..max of #threshold) onto the scores and the detector's threshold. */
export function setupSlider() {
  const scores = state.beats.map((b) => b.score).filter(isFiniteScore);
  const thr = state.detectorThreshold;
  let lo = Math.min(...scores, isFiniteScore(thr) ? thr : Infinity);
  let hi = Math.max(...scores, isFiniteScore(thr) ? thr : -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi <= lo) hi = lo + Math.abs(lo || 1);
  // A log scale only for positive scores spanning decades; a linear one otherwise.
  const log = lo > 0 && hi / lo > 20;
  // A little past the highest score, so the slider's end flags nothing.
  hi = log ? hi * 1.02 : hi + 0.02 * (hi - lo);
  const steps = Number($("threshold").max) || 1000;
  state.slider = { lo, hi, log, steps };
}

export function sliderToValue(p) {
  const { lo, hi, log, steps } = state.slider;
  const f = p / steps;
  return log ? lo * Math.pow(hi / lo, f) : lo + f * (hi - lo);
}

function valueToSlider(v) {
  const { lo, hi, log, steps } = state.slider;
  const f = log ? (v > 0 ? Math.log(v / lo) / Math.log(hi / lo) : 0) : (v - lo) / (hi - lo);
  return Math.round(Math.min(1, Math.max(0, Number.isFinite(f) ? f : 0)) * steps);
}

/** Applies `value` (from the slider, which then keeps its position, or typed or reset). */
export function setThreshold(value, { fromSlider }) {
  if (!isFiniteScore(value)) value = sliderToValue(state.slider.steps / 2);
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

/** With an .atr's labels: how many abnormal (AAMI class other than N) and normal beats are flagged. */
function updateAgreement() {
  const box = $("label-agreement");
  const normal = normalLabels();
  const labelled = state.beats.filter((b) => aamiClass(b.label) != null);
  if (labelled.length === 0 || normal == null) {
    box.textContent = "";
    return;
  }
  let abnormal = 0;
  let caught = 0;
  let normals = 0;
  let falseAlarms = 0;
  for (const b of labelled) {
    const f = state.flagged[b.k] === 1;
    if (aamiClass(b.label) === "N") {
      normals++;
      if (f) falseAlarms++;
    } else {
      abnormal++;
      if (f) caught++;
    }
  }
  box.textContent = `labels: ${fmt.int(caught)} of ${fmt.int(abnormal)} abnormal beats flagged, ${fmt.int(falseAlarms)} of ${fmt.int(normals)} normal`;
  box.title = `Labels from the uploaded .atr; normal = AAMI class N (${normal.join(", ")})`;
}
