// The plots' colours (style.css has the page's).

export const COLORS = {
  trace: "#1e293b",
  flagged: "#dc2626",
  flaggedBand: "rgba(220, 38, 38, 0.13)",
  normal: "#94a3b8",
  unusable: "#d97706",
  selected: "#2563eb",
  selectedBand: "rgba(37, 99, 235, 0.10)",
  reconstruction: "#2563eb",
  error: "rgba(220, 38, 38, 0.85)",
  errorFill: "rgba(220, 38, 38, 0.12)",
  grid: "rgba(15, 23, 42, 0.07)",
  axis: "#475569",
  muted: "#64748b",
  abnormalLabel: "#7c3aed",
  rPeak: "rgba(15, 23, 42, 0.25)",
};

export const FONT = "system-ui, sans-serif";
