// The JSON API with the signed-in key: fetch wrapper, errors, downloads and server-sent events over fetch.

const KEY = "summit.key";

export function getKey() { return sessionStorage.getItem(KEY); }
export function setKey(key) { sessionStorage.setItem(KEY, key); }
export function clearKey() { sessionStorage.removeItem(KEY); sessionStorage.removeItem("summit.me"); }

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || "http_error";
    this.details = (body && Array.isArray(body.details)) ? body.details : [];
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(callback) { onUnauthorized = callback; }

function headers(extra = {}, key = getKey()) {
  const out = { ...extra };
  if (key) out.Authorization = `Bearer ${key}`;
  return out;
}

async function failure(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (response.status === 401) onUnauthorized();
  return new ApiError(response.status, body);
}

/**
 * Call the API. ``body`` is sent as JSON unless ``type`` names another content type (then sent as is).
 * Answers the parsed JSON (or null for an empty answer).
 */
export async function api(path, { method = "GET", body, type, signal, key } = {}) {
  const init = { method, signal, headers: headers({ Accept: "application/json" }, key ?? getKey()) };
  if (body !== undefined) {
    init.headers["Content-Type"] = type || "application/json";
    init.body = type ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** A file of the API (CSV, iCalendar, PNG) as a Blob: downloads carry the Bearer header too. */
export async function fetchBlob(path, signal) {
  const response = await fetch(path, { headers: headers(), signal });
  if (!response.ok) throw await failure(response);
  return response.blob();
}

function filenameOf(response, fallback) {
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

/** Fetch ``path`` and save it through an object URL and a temporary <a download>. */
export async function download(path, fallbackName) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await failure(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filenameOf(response, fallbackName);
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return link.download;
}

/**
 * Server-sent events of ``path`` read with fetch (EventSource cannot send the Authorization header).
 * Calls ``onEvent({event, data, id})`` for each message (``data`` parsed as JSON when it is);
 * resolves when the stream ends or ``signal`` aborts.
 */
export async function streamEvents(path, onEvent, { signal, lastEventId } = {}) {
  const extra = { Accept: "text/event-stream" };
  if (lastEventId) extra["Last-Event-ID"] = String(lastEventId);
  const response = await fetch(path, { headers: headers(extra), signal, cache: "no-store" });
  if (!response.ok) throw await failure(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const dispatch = (block) => {
    let event = "message", id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
    if (!data.length) return;
    const text = data.join("\n");
    let parsed = text;
    try { parsed = JSON.parse(text); } catch { /* plain text */ }
    onEvent({ event, data: parsed, id });
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
    }
  }
  if (buffer.trim()) dispatch(buffer);
}

const FINISHED = new Set(["done", "failed", "cancelled"]);

/**
 * Follow a job to its end: live from its event stream, falling back to polling if the stream breaks.
 * ``onProgress(point)`` per incumbent, ``onStatus(job)`` on each status. Resolves with the final job.
 */
export async function followJob(jobId, { onProgress = () => {}, onStatus = () => {}, signal } = {}) {
  let lastId = null;
  let ended = false;
  for (let attempt = 0; attempt < 3 && !ended; attempt += 1) {
    try {
      await streamEvents(`/jobs/${encodeURIComponent(jobId)}/events`, ({ event, data, id }) => {
        if (event === "progress") { if (id) lastId = id; onProgress(data); }
        else if (event === "status") onStatus(data);
        else if (event === "end") ended = true;
      }, { signal, lastEventId: lastId });
    } catch (error) {
      if (signal && signal.aborted) throw error;
      if (error instanceof ApiError && error.status !== 503) throw error;
    }
  }
  for (;;) {
    const job = await api(`/jobs/${encodeURIComponent(jobId)}`, { signal });
    if (ended || FINISHED.has(job.status)) { onStatus(job); return job; }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
