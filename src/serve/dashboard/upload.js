// Choosing files (the picker or a drop on the page) and sending them to POST /v1/detect: a CSV
// with its rate, a WFDB record's .hea and .dat (and .atr) as one multipart upload, an EDF/BDF
// file as a multipart upload of its own, or JSON.

import { ApiError, detect } from "./api.js";
import { $, setStatus } from "./dom.js";
import { fmt } from "./format.js";
import { limits } from "./model.js";
import { show } from "./results.js";
import { state } from "./state.js";

const NO_FILE_HINT = "a CSV, an EDF/BDF file, or a WFDB record (.hea + .dat, optional .atr)";

function chosenFiles() {
  return Array.from($("file").files || []);
}

/** What the chosen files are: { kind: csv | json | wfdb | edf, name, files }, or { error }. */
export function describeUpload(files) {
  if (files.length === 0) return { error: "Choose a file first." };
  const ext = (f) => (f.name.match(/\.([^.]+)$/)?.[1] || "").toLowerCase();
  const base = (f) => f.name.replace(/\.[^.]+$/, "");
  const edfs = files.filter((f) => ["edf", "bdf"].includes(ext(f)));
  if (edfs.length > 0) {
    if (files.length > 1) return { error: "Choose one EDF or BDF file alone." };
    return { kind: "edf", name: base(edfs[0]), files: edfs };
  }
  const heas = files.filter((f) => ext(f) === "hea");
  if (heas.length > 1) return { error: "Choose one WFDB record at a time (one .hea file)." };
  if (heas.length === 1) {
    const name = base(heas[0]);
    const dat = files.find((f) => ext(f) === "dat");
    if (!dat) {
      return { error: `A WFDB record needs its signal file too: select ${name}.hea and ${name}.dat together.` };
    }
    const parts = files.filter((f) => ["hea", "dat", "atr"].includes(ext(f)));
    return { kind: "wfdb", name, files: parts };
  }
  if (files.length > 1) {
    return { error: "Choose one CSV or EDF file, or a WFDB record's .hea and .dat (and .atr) together." };
  }
  const f = files[0];
  if (["dat", "atr"].includes(ext(f))) {
    return { error: `${f.name} is part of a WFDB record: select its .hea and .dat together.` };
  }
  return { kind: ext(f) === "json" ? "json" : "csv", name: base(f), files: [f] };
}

/** The hint beside the picker when no file is chosen, with the server's limits once known. */
function noFileHint() {
  const { maxBodyBytes, maxSignalSeconds } = limits();
  const parts = [];
  if (maxBodyBytes != null) parts.push(fmt.bytes(maxBodyBytes));
  if (maxSignalSeconds != null) parts.push(`${fmt.seconds(maxSignalSeconds)} of signal`);
  return parts.length ? `${NO_FILE_HINT}; at most ${parts.join(" and ")}` : NO_FILE_HINT;
}

/** Shows the server's limits beside the picker (once /v1/model answered), if no file is chosen. */
export function showLimits() {
  if (chosenFiles().length === 0) $("file-names").textContent = noFileHint();
}

export function onFilesChanged() {
  const files = chosenFiles();
  const desc = describeUpload(files);
  $("file-names").textContent = files.length
    ? files.map((f) => `${f.name} (${fmt.bytes(f.size)})`).join(", ")
    : noFileHint();
  const rated = desc.kind === "wfdb" || desc.kind === "edf";
  $("fs").disabled = rated || desc.kind === "json";
  $("fs").parentElement.title = rated ? "The file's header gives its rate" : "";
  $("analyze").disabled = files.length === 0 || state.busy;
  if (desc.error && files.length) setStatus(desc.error, "error");
  else if (files.length) setStatus(`Ready: ${desc.kind.toUpperCase()} ${desc.name}. Press Analyze.`);
}

/** The request for `desc`: { params, body, contentType }, or { error }. */
function request(desc) {
  const params = new URLSearchParams({ include: "signal,reconstruction" });
  const lead = $("lead").value.trim();
  if (desc.kind === "csv") {
    const fs = Number($("fs").value);
    if (!(fs > 0)) return { error: "The sampling rate must be a positive number of Hz." };
    params.set("fs", String(fs));
    if (lead !== "") params.set("lead", lead);
    return { params, body: desc.files[0], contentType: "text/csv" };
  }
  if (desc.kind === "json") return { params, body: desc.files[0], contentType: "application/json" };
  if (lead !== "") params.set("lead", lead);
  const body = new FormData();
  for (const f of desc.files) body.append(f.name, f, f.name);
  return { params, body, contentType: null };
}

/** Uploads the chosen files, then shows the verdicts; every outcome ends in the status line. */
export async function analyze() {
  if (state.busy) return;
  const desc = describeUpload(chosenFiles());
  if (desc.error) {
    setStatus(desc.error, "error");
    return;
  }
  const req = request(desc);
  if (req.error) {
    setStatus(req.error, "error");
    return;
  }
  const size = desc.files.reduce((n, f) => n + f.size, 0);
  const { maxBodyBytes } = limits();
  if (maxBodyBytes != null && size > maxBodyBytes) {
    // The server would answer 413 once the upload is in: say so before sending it.
    setStatus(`${desc.name} is ${fmt.bytes(size)}, over this server's limit of ${fmt.bytes(maxBodyBytes)} per request.`, "error");
    return;
  }
  state.busy = true;
  $("analyze").disabled = true;
  document.body.classList.add("busy");
  const started = performance.now();
  setStatus(`Analyzing ${desc.name} (${fmt.bytes(size)})…`, "busy");
  try {
    const json = await detect(req.params, req.body, req.contentType);
    if (!json || !Array.isArray(json.beats)) {
      setStatus("The server answered without beats: unexpected response.", "error");
      return;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    state.upload = desc;
    // Let the status paint before the (possibly long) first render.
    setStatus(`Rendering ${fmt.int(json.beats.length)} beats…`, "busy");
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    show(json);
    const s = json.summary || {};
    setStatus(
      `${desc.name}: ${fmt.int(json.beats.length)} beats, ${fmt.int(s.flagged ?? state.flaggedCount)} flagged ` +
        `at the detector's threshold, analyzed in ${seconds} s`,
      "ok",
    );
    $("status").title = json.request_id ? `request ${json.request_id}` : "";
  } catch (err) {
    if (err instanceof ApiError) {
      setStatus(err.message, "error");
    } else {
      console.error(err);
      setStatus(`Request failed: ${err.message}`, "error");
    }
  } finally {
    state.busy = false;
    document.body.classList.remove("busy");
    $("analyze").disabled = chosenFiles().length === 0;
  }
}
