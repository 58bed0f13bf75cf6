// Scenarios: the list, upload (with validation errors by path), versions, timetables and the solve form.

import { api, ApiError } from "./api.js";
import { $, html, render } from "./util.js";

function when(iso) { return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : ""; }

/** The 422 details as a list: each problem next to its path. */
export function errorList(error, title = "The document has problems") {
  if (!(error instanceof ApiError)) return html`<div class="notice error" role="alert">${error.message}</div>`;
  if (!error.details.length) {
    return html`<div class="notice error" role="alert"><p><strong>${error.status} ${error.code}</strong>:
      ${error.message}</p></div>`;
  }
  return html`<div class="notice error" role="alert">
    <p><strong>${title}</strong> (${error.details.length}): ${error.message}</p>
    <ul class="problems">${error.details.map((d) => html`<li class="problem">
      <code class="path">${d.path || "(document)"}</code>
      <span class="message">${d.message}</span>${d.value !== undefined && d.value !== null
        ? html` <span class="value">(value: <code>${typeof d.value === "string" ? d.value
          : JSON.stringify(d.value)}</code>)</span>` : ""}</li>`)}</ul></div>`;
}

function mediaType(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith(".json")) return "application/json";
  return "application/yaml";
}

export async function scenarioList(main, _params, ctx) {
  const scenarios = await api("/scenarios?limit=200", { signal: ctx.signal });
  render(main, html`
    <h1>Scenarios</h1>
    ${ctx.canWrite ? html`
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a scenario</h2>
      <form id="upload-form" class="row-form">
        <div class="field">
          <label for="scenario-file">Scenario file (YAML or JSON)</label>
          <input id="scenario-file" name="file" type="file" accept=".yaml,.yml,.json,application/json,application/yaml"
                 required>
        </div>
        <button type="submit" class="primary">Upload</button>
      </form>
      <div id="upload-result" aria-live="polite"></div>
    </section>` : ""}
    <section aria-labelledby="list-title">
      <h2 id="list-title">All scenarios</h2>
      ${scenarios.length ? html`
      <table class="data">
        <thead><tr><th scope="col">Name</th><th scope="col">Latest version</th><th scope="col">Created</th>
          <th scope="col">Id</th></tr></thead>
        <tbody>${scenarios.map((s) => html`<tr>
          <td><a href="#/scenarios/${encodeURIComponent(s.id)}">${s.name}</a></td>
          <td>${s.latest_version}</td><td>${when(s.created_at)}</td><td><code>${s.id}</code></td></tr>`)}
        </tbody></table>` : html`<p class="empty">No scenario yet.</p>`}
    </section>`);
  const form = $("#upload-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.file.files[0];
    const out = $("#upload-result");
    if (!file) return;
    const button = form.querySelector("button");
    button.disabled = true;
    render(out, html`<p role="status">Uploading ${file.name}…</p>`);
    try {
      const created = await api("/scenarios", { method: "POST", body: await file.text(), type: mediaType(file) });
      render(out, html`<p class="notice ok">Stored <strong>${created.name}</strong> (${created.events} events).</p>`);
      location.hash = `#/scenarios/${encodeURIComponent(created.id)}`;
    } catch (error) {
      render(out, errorList(error, `${file.name} is not a valid scenario`));
      button.disabled = false;
    }
  });
}

export async function scenarioDetail(main, [id], ctx) {
  const path = `/scenarios/${encodeURIComponent(id)}`;
  const [scenario, versions, timetables] = await Promise.all([
    api(path, { signal: ctx.signal }), api(`${path}/versions`, { signal: ctx.signal }),
    api(`${path}/timetables`, { signal: ctx.signal })]);
  const doc = scenario.scenario;
  const newest = [...timetables].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  render(main, html`
    <p class="crumbs"><a href="#/scenarios">Scenarios</a> ›</p>
    <h1>${scenario.name}</h1>
    <p class="meta">Version ${scenario.latest_version} · ${doc.events.length} events · ${doc.rooms.length} rooms ·
      ${doc.participants.length} participants · ${doc.days.length} day(s) · time zone ${doc.timezone || "UTC"}</p>
    ${ctx.canWrite ? html`
    <section class="card" aria-labelledby="solve-title">
      <h2 id="solve-title">Solve</h2>
      <form id="solve-form" class="row-form">
        <div class="field"><label for="solve-version">Version</label>
          <select id="solve-version" name="version">${[...versions].reverse().map((v) => html`
            <option value="${v.version}">${v.version}${v.parent_version ? ` (re-plan of ${v.parent_version})` : ""}
            </option>`)}</select></div>
        <div class="field"><label for="time-limit">Time limit (seconds)</label>
          <input id="time-limit" name="time_limit_s" type="number" min="1" max="600" step="1" value="10" required>
        </div>
        <button type="submit" class="primary">Start solving</button>
      </form>
      <div id="solve-result" aria-live="polite"></div>
    </section>` : ""}
    <section aria-labelledby="tt-title">
      <h2 id="tt-title">Timetables</h2>
      ${newest.length ? html`<table class="data">
        <thead><tr><th scope="col">Timetable</th><th scope="col">Version</th><th scope="col">Status</th>
          <th scope="col">Objective</th><th scope="col">Re-plan of</th><th scope="col">Created</th></tr></thead>
        <tbody>${newest.map((t) => html`<tr>
          <td><a href="#/timetables/${encodeURIComponent(t.id)}">${t.id}</a></td><td>${t.scenario_version}</td>
          <td><span class="status status-${t.status}">${t.status}</span></td><td>${t.objective}</td>
          <td>${t.parent_timetable_id ? html`<a href="#/timetables/${encodeURIComponent(t.parent_timetable_id)}/diff/${
            encodeURIComponent(t.id)}">changes from ${t.parent_timetable_id}</a>` : ""}</td>
          <td>${when(t.created_at)}</td></tr>`)}</tbody></table>`
        : html`<p class="empty">No timetable yet: start a solve.</p>`}
    </section>
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <table class="data">
        <thead><tr><th scope="col">Version</th><th scope="col">Name</th><th scope="col">Events</th>
          <th scope="col">Parent</th><th scope="col">Changes</th><th scope="col">Created</th></tr></thead>
        <tbody>${versions.map((v) => html`<tr><td>${v.version}</td><td>${v.name}</td><td>${v.events}</td>
          <td>${v.parent_version ?? ""}</td>
          <td>${v.changes && v.changes.length ? html`<details><summary>${v.changes.length} change(s)</summary>
            <ul class="compact">${v.changes.map((c) => html`<li><code>${describeChange(c)}</code></li>`)}</ul>
            </details>` : ""}</td>
          <td>${when(v.created_at)}</td></tr>`)}</tbody></table>
    </section>`);
  const form = $("#solve-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("#solve-result");
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const job = await api(`${path}/solve?version=${encodeURIComponent(form.version.value)}`, {
        method: "POST", body: { time_limit_s: Number(form.time_limit_s.value) } });
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (error) {
      render(out, errorList(error, "The solve was refused"));
      button.disabled = false;
    }
  });
}

export function describeChange(change) {
  const { op, ...rest } = change;
  const parts = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "object" ? (v && v.id) || JSON.stringify(v) : v}`);
  return `${op}${parts.length ? `: ${parts.join(", ")}` : ""}`;
}
