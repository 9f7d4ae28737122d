// The server's API, as the page calls it: JSON in and out, and its errors
// ({"error": {"code", "message", "request_id"}}) turned into one line a user can read.

/** An answer other than 2xx: `message` is the line the status shows. */
export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** The body as JSON; `{raw}` when it is not JSON; null when empty. */
async function readJson(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text };
  }
}

/** `Error <status> (<code>): <message> · request <id>`, or the first 300 bytes of another body. */
export function errorText(res, body) {
  const e = body && body.error;
  if (e && typeof e === "object") {
    const code = e.code ? ` (${e.code})` : "";
    const id = e.request_id ? ` · request ${e.request_id}` : "";
    return `Error ${res.status}${code}: ${e.message || "no message"}${id}`;
  }
  if (typeof e === "string") return `Error ${res.status}: ${e}`;
  const raw = body && body.raw ? `: ${String(body.raw).slice(0, 300)}` : "";
  return `Error ${res.status} ${res.statusText}${raw}`;
}

/**
 * Calls `path` and gives its JSON body; an ApiError for a non-2xx answer. A network failure
 * rejects with the browser's own TypeError.
 */
export async function requestJson(path, init = {}) {
  const headers = { Accept: "application/json", ...(init.headers || {}) };
  const res = await fetch(path, { ...init, headers });
  const body = await readJson(res);
  if (!res.ok) throw new ApiError(errorText(res, body), res.status, body);
  return body;
}

/** GET /v1/model: what the server judges with, and its limits. */
export function getModel() {
  return requestJson("/v1/model");
}

/**
 * POST /v1/detect?<params> with `body` (a File, a FormData or a string) of `contentType`
 * (none for FormData: the browser sets the multipart boundary).
 */
export function detect(params, body, contentType) {
  const headers = contentType ? { "Content-Type": contentType } : {};
  return requestJson(`/v1/detect?${params}`, { method: "POST", headers, body });
}
