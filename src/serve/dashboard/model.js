// What GET /v1/model says, and everything the page takes from it rather than copying the
// library: the model's rate and window, its threshold, whether scores are z-scores in context,
// the default WFDB lead, the AAMI class of each beat label and the server's limits.

import { getModel } from "./api.js";
import { $, el } from "./dom.js";
import { fmt, isFiniteScore } from "./format.js";
import { state } from "./state.js";

/** Fetches /v1/model into state.model and shows it in the header; never throws. */
export async function loadModel() {
  try {
    const model = await getModel();
    state.model = model;
    renderModel(model);
  } catch (err) {
    const box = $("model-info");
    box.replaceChildren(item("model", `unavailable (${err.message})`));
    box.classList.add("error");
  }
  return state.model;
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
  const name = item("model", m.name ?? "detector");
  name.querySelector("dd").id = "model-name";
  box.append(name);
  if (m.kind) box.append(item("kind", String(m.kind).replace(/_/g, " ")));
  if (isFiniteScore(m.fs)) box.append(item("rate", `${fmt.int(m.fs)} Hz`, "The model's sampling rate"));
  if (m.seq != null) {
    const ms = m.fs ? ` (${Math.round((1000 * m.seq) / m.fs)} ms)` : "";
    box.append(item("window", `${m.seq} samples${ms}`, "Samples per beat window"));
  }
  const several = Array.isArray(m.leads) && m.leads.length > 1;
  if (several) {
    box.append(item("leads", m.leads.join(" + "),
      "The detector judges these leads together: upload a WFDB record or an EDF file that has " +
      "them all, or a CSV with a column named after each"));
  } else if (m.lead) {
    box.append(item("lead", m.lead));
  }
  if (isFiniteScore(m.threshold)) {
    const share = isFiniteScore(m.expected_flagged_share)
      ? `: ${(100 * m.expected_flagged_share).toFixed(1)} % of held-out normal beats score above it`
      : "";
    const method = m.threshold_method ? ` (${m.threshold_method})` : "";
    box.append(item("threshold", fmt.score(m.threshold), `The detector's threshold${method}${share}`));
  }
  if (typeof m.score_in_context === "boolean") {
    box.append(
      m.score_in_context
        ? item("score", "z in context", "Each beat's score is a z-score against its recording and rhythm: it can be negative")
        : item("score", "the model's", "Each beat's score is the model's own reconstruction score"),
    );
  }
  const lead = $("lead");
  const wfdbLead = defaultWfdbLead();
  lead.title = several
    ? `This detector reads its own leads (${m.leads.join(", ")}) from each record: leave this empty`
    : "The lead to judge: a CSV column (name or 0-based index; default the first) or a WFDB " +
      `signal name${wfdbLead ? ` (default ${wfdbLead})` : ""}` +
      (m.lead ? `. The detector was trained on ${m.lead}.` : "");
}

/**
 * The window the server cuts around each R-peak: { before_s, after_s } in seconds and, when
 * the model's rate is known, { before, after } in samples at that rate; null before the model
 * answered.
 */
export function beatWindow() {
  const w = state.model?.window;
  if (!w || !isFiniteScore(w.before_s) || !isFiniteScore(w.after_s)) return null;
  return w;
}

/** The model's sampling rate (Hz), or null. */
export function modelFs() {
  const fs = state.model?.fs;
  return isFiniteScore(fs) && fs > 0 ? fs : null;
}

/** True when scores are z-scores in context (they can be negative), false for the model's own. */
export function scoreInContext() {
  return state.model?.score_in_context === true;
}

/** The WFDB signal the server judges when none is named, or null. */
export function defaultWfdbLead() {
  const lead = state.model?.default_wfdb_lead;
  return typeof lead === "string" && lead ? lead : null;
}

/** The AAMI EC57 class ("N", "S", "V", "F", "Q") of a beat label, or null when unknown. */
export function aamiClass(label) {
  const classes = state.model?.aami_classes;
  if (!classes || typeof label !== "string" || label === "") return null;
  return Object.hasOwn(classes, label) ? classes[label] : null;
}

/** The labels of AAMI class N (normal), e.g. "N, L, R, e, j"; null before the model answered. */
export function normalLabels() {
  const classes = state.model?.aami_classes;
  if (!classes) return null;
  return Object.keys(classes).filter((s) => classes[s] === "N");
}

/** The server's limits: the largest body (bytes) and the longest signal (seconds), when given. */
export function limits() {
  const m = state.model || {};
  return {
    maxBodyBytes: isFiniteScore(m.max_body_bytes) ? m.max_body_bytes : null,
    maxSignalSeconds: isFiniteScore(m.max_signal_seconds) ? m.max_signal_seconds : null,
  };
}
