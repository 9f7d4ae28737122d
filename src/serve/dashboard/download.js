// The verdicts as CSV, at the threshold the page applies, one row per beat in time order.

import { el } from "./dom.js";
import { state } from "./state.js";

function csvField(v) {
  const s = v == null ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The verdicts at the current threshold, one row per beat in time order. */
export function verdictsCsv() {
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

/** Saves verdictsCsv() as `<recording>-verdicts.csv`. */
export function download() {
  if (!state.beats.length) return;
  const blob = new Blob([verdictsCsv()], { type: "text/csv" });
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: `${state.upload?.name || "recording"}-verdicts.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
