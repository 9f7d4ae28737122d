// Numbers and times as the page writes them, and the small numeric helpers the views share.
// Scores may be negative (a detector whose scores are z-scores in context): nothing here
// assumes otherwise.

import { state } from "./state.js";

/** True for a finite number (a score, a rate...). */
export function isFiniteScore(v) {
  return typeof v === "number" && Number.isFinite(v);
}

function clock(t, digits) {
  const m = Math.floor(t / 60);
  const s = t - 60 * m;
  return `${m}:${s.toFixed(digits).padStart(digits ? 3 + digits : 2, "0")}`;
}

export const fmt = {
  int: (n) => Number(n).toLocaleString("en-US"),
  score(v) {
    if (v == null || !Number.isFinite(v)) return "—";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    return v.toPrecision(a >= 100 ? 5 : 3);
  },
  /** A position on the signal's x axis: seconds (m:ss.s past a minute), or samples without fs. */
  time(t) {
    if (t == null || !Number.isFinite(t)) return "—";
    if (state.fs == null) return fmt.int(Math.round(t));
    if (state.duration < 60) return t.toFixed(2) + " s";
    return clock(t, 1);
  },
  /** An axis tick, with as many digits as a view `span` wide needs. */
  axisTime(t, span) {
    if (state.fs == null) return fmt.int(Math.round(t));
    const digits = span < 2 ? 2 : span < 20 ? 1 : 0;
    if (state.duration < 60) return t.toFixed(digits) + " s";
    return clock(t, digits);
  },
  bytes(n) {
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  },
  /** Seconds as the largest whole unit that fits (3600 → "60 min"). */
  seconds(s) {
    if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
    if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
    return `${s} s`;
  },
};

/** The q-quantile of `sorted` (ascending), interpolated. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

/** First index i with beats[i].t >= t (beats are in time order). */
export function lowerBound(beats, t) {
  let lo = 0;
  let hi = beats.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (beats[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
