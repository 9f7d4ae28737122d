// The beat list: a virtual list (only the rows in view are in the DOM: a long record has
// thousands of beats, and laying out thousands of table rows takes seconds on a slow machine),
// sortable by each column, optionally only the flagged beats.

import { $, el, onNextFrame } from "./dom.js";
import { fmt, isFiniteScore } from "./format.js";
import { aamiClass } from "./model.js";
import { state } from "./state.js";

const ROW_H = 22;

export function buildTable() {
  sortRows();
  $("beat-scroll").scrollTop = 0;
  renderRows();
}

/** The beats the list shows, in list order (sorted, and filtered when "flagged only"). */
function listed() {
  if (!$("only-flagged").checked) return state.order;
  return state.order.filter((k) => state.flagged[k] === 1);
}

export function renderRows() {
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

/** renderRows on the next frame (a slider drag or a scroll fires many events per frame). */
export const renderRowsSoon = onNextFrame(renderRows);

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
  const cls = aamiClass(label);
  if (cls == null) return "label";
  return cls === "N" ? "label normal" : "label abnormal";
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

/** A click on a column head: sorts by it (a second click reverses). */
export function onSortClick(e) {
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
export function scrollListTo(k) {
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
