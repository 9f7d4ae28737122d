// The page's one shared state: what the server said and what the user chose. Every module reads
// and writes it; tests read it as window.ecgDashboard.state.

export const state = {
  model: null, // GET /v1/model, once it answered
  result: null, // POST /v1/detect
  fs: null, // the signal's sampling rate (Hz), or null: positions are then samples
  duration: 0, // x extent of the signal plot (seconds, or samples without fs)
  beats: [], // the response's beats, in time order, each with .t (x position) and .k
  flagged: new Uint8Array(0), // at the current threshold, by beat k
  flaggedCount: 0,
  threshold: NaN,
  detectorThreshold: NaN,
  slider: null, // { lo, hi, log, steps }
  selected: -1, // k of the beat shown in the detail view
  sort: { key: "score", desc: true },
  upload: null, // { kind, name, files }
  plots: { signal: null, overview: null, hist: null, detail: null },
  hist: null, // the histogram's bins
  order: [], // beat k in list order
  shown: [], // the list's beats (order, filtered)
  busy: false,
};
