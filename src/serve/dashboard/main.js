// ecg-anomaly dashboard: uploads a recording to POST /v1/detect, then shows the signal with its
// flagged beats, a threshold slider that re-flags from the returned scores, each beat beside its
// reconstruction, the score histogram and a CSV of the verdicts. Plain JavaScript modules, no
// build step, no network access but this server's own API. This module wires the page's
// controls to the others (README.md lists what each does).

import { centerOn, onBeatClick, pan, resizeSignal } from "./chart.js";
import { resizeDetail, selectBeat, stepFlagged } from "./detail.js";
import { $, debounce, setStatus } from "./dom.js";
import { download, verdictsCsv } from "./download.js";
import { resizeHistogram } from "./histogram.js";
import { loadModel } from "./model.js";
import { state } from "./state.js";
import { onSortClick, renderRows, renderRowsSoon, scrollListTo } from "./table.js";
import { setThreshold, sliderToValue } from "./threshold.js";
import { analyze, onFilesChanged, showLimits } from "./upload.js";

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
    if (e.target.value.trim() !== "" && Number.isFinite(v) && state.slider) setThreshold(v, { fromSlider: false });
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
  onBeatClick((k) => selectBeat(k, { scrollList: true, center: false }));
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
      resizeSignal();
      resizeHistogram();
      resizeDetail();
    }, 150),
  );
  onFilesChanged();
  loadModel().then(showLimits);
}

// For tests and the curious: the state and the CSV the download button saves.
window.ecgDashboard = { state, verdictsCsv, selectBeat, centerOn, setThreshold: (v) => setThreshold(v, { fromSlider: false }) };

init();
