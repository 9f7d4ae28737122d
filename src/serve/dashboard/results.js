// A POST /v1/detect answer on the page: the beats in time order, then the slider, the list, the
// signal, the histogram and an empty detail view, flagged at the detector's threshold.

import { buildSignal } from "./chart.js";
import { clearDetail } from "./detail.js";
import { $ } from "./dom.js";
import { fmt, isFiniteScore } from "./format.js";
import { buildHistogram } from "./histogram.js";
import { beatWindow } from "./model.js";
import { state } from "./state.js";
import { buildTable } from "./table.js";
import { setThreshold, setupSlider } from "./threshold.js";

export function show(result) {
  state.result = result;
  const sig = result.signal;
  const sigFs = sig && isFiniteScore(sig.fs) && sig.fs > 0 ? sig.fs : null;
  state.fs = sigFs ?? (isFiniteScore(result.fs) ? result.fs : null);
  const toX = (p) => (p == null ? null : state.fs ? p / state.fs : p);
  const beats = result.beats.map((b, i) => ({ ...b, order: i, t: toX(b.position) }));
  beats.sort((a, b) => (a.t ?? Infinity) - (b.t ?? Infinity) || a.order - b.order);
  beats.forEach((b, k) => (b.k = k));
  state.beats = beats;
  state.flagged = new Uint8Array(beats.length);
  state.selected = -1;
  const values = sig && Array.isArray(sig.values) ? sig.values : null;
  const lastBeat = beats.length ? (beats[beats.length - 1].t ?? 0) : 0;
  const after = state.fs ? (beatWindow()?.after_s ?? 0) : 0;
  state.duration = values ? toX(Math.max(values.length - 1, 1)) : Math.max(lastBeat + after, 1);

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
  $("signal-caption").textContent = `· ${state.upload?.name ?? "recording"} · ${caption.join(" · ")}`;
  const unusable = beats.filter((b) => b.usable === false).length;
  $("unusable-count").textContent = unusable ? `· ${fmt.int(unusable)} unusable` : "";
  $("unusable-count").title = "Beats that failed the quality check (flat, clipped or noisy)";
  $("beat-count").textContent = fmt.int(beats.length);
}
