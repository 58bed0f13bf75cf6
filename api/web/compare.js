// Compare: run variants of a scenario side by side, then the KPI table and the charts of the run.

import { api, ApiError, fetchBlob, followJob } from "./api.js";
import { wireDownloads } from "./grid.js";
import { errorList } from "./scenarios.js";
import { $, announce, html, render } from "./util.js";

const EXAMPLE = JSON.stringify([
  { name: "as planned", changes: [] },
  { name: "Hall A closed on day one", changes: [
    { op: "room_closed", room: "hall-a", start: "2025-10-25T08:00", end: "2025-10-25T18:00", reason: "works" }] },
], null, 2);

/** The comparison endpoints are not deployed: an unknown route (405, or a 404 that names no resource). */
function missing(error) {
  return error instanceof ApiError && (error.status === 405
    || (error.status === 404 && !/^no \w+ with id/.test(error.message)));
}

const UNAVAILABLE = html`<div class="notice" role="status"><p>Comparisons are not available on this server yet
  (<code>/comparisons</code> does not answer).</p></div>`;

export async function compareView(main, _params, ctx) {
  const scenarios = await api("/scenarios?limit=200", { signal: ctx.signal });
  render(main, html`
    <h1>Compare variants</h1>
    ${ctx.canWrite ? html`<section class="card" aria-labelledby="cmp-title">
      <h2 id="cmp-title">New comparison</h2>
      <form id="compare-form" class="stack">
        <div class="field"><label for="cmp-scenario">Scenario</label>
          <select id="cmp-scenario" name="scenario_id" required>${scenarios.map((s) =>
            html`<option value="${s.id}">${s.name} (v${s.latest_version})</option>`)}</select></div>
        <div class="field"><label for="cmp-version">Version (optional, default the latest)</label>
          <input id="cmp-version" name="version" type="number" min="1"></div>
        <div class="field"><label for="cmp-variants">Variants (JSON: a list of {name, changes})</label>
          <textarea id="cmp-variants" name="variants" rows="10" spellcheck="false">${EXAMPLE}</textarea></div>
        <div class="row-form">
          <div class="field"><label for="cmp-limit">Time limit per variant (s)</label>
            <input id="cmp-limit" name="time_limit_s" type="number" min="1" max="600" value="5"></div>
          <div class="field"><label for="cmp-seeds">Seeds</label>
            <input id="cmp-seeds" name="seeds" type="number" min="1" max="10" value="1"></div>
        </div>
        <button type="submit" class="primary">Run the comparison</button>
      </form>
      <div id="compare-errors"></div>
    </section>` : html`<p>Open a comparison from its link (<code>#/compare/&lt;job id&gt;</code>).</p>`}
    <section class="card" aria-labelledby="open-title"><h2 id="open-title">Open a comparison</h2>
      <form id="compare-open" class="row-form"><div class="field"><label for="cmp-job">Comparison job id</label>
        <input id="cmp-job" name="job" type="text" required spellcheck="false"></div>
        <button type="submit">Open</button></form></section>`);
  $("#compare-open").addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/compare/${encodeURIComponent(event.target.elements.job.value.trim())}`;
  });
  const form = $("#compare-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    const out = $("#compare-errors");
    let variants;
    try { variants = JSON.parse(f.variants.value); } catch (error) {
      render(out, html`<p class="field-error" role="alert">The variants are not valid JSON: ${error.message}</p>`);
      f.variants.focus();
      return;
    }
    const body = { scenario_id: f.scenario_id.value, variants, time_limit_s: Number(f.time_limit_s.value),
      seeds: Number(f.seeds.value) };
    if (f.version.value) body.version = Number(f.version.value);
    try {
      const job = await api("/comparisons", { method: "POST", body });
      location.hash = `#/compare/${encodeURIComponent(job.id)}`;
    } catch (error) {
      render(out, missing(error) ? UNAVAILABLE : errorList(error, "The comparison was refused"));
    }
  });
}

/** KPI rows (label, value per variant): the headline numbers, then every scalar KPI, nested ones as "a · b";
 * large maps (per delegation, per room) are left to the charts and the CSV. */
function kpiRows(variants) {
  const rows = new Map();
  const put = (label, i, value) => {
    if (!rows.has(label)) rows.set(label, new Array(variants.length).fill(null));
    rows.get(label)[i] = value;
  };
  const walk = (prefix, value, i) => {
    if (value === null || typeof value !== "object") { put(prefix, i, value); return; }
    if (Array.isArray(value)) { put(prefix, i, value.join(", ")); return; }
    const entries = Object.entries(value);
    if (entries.length > 12) return;
    for (const [k, v] of entries) walk(prefix ? `${prefix} · ${k.replaceAll("_", " ")}` : k.replaceAll("_", " "), v, i);
  };
  variants.forEach((v, i) => {
    put("status", i, v.status);
    put("objective", i, v.objective);
    put("bound", i, v.bound);
    put("gap", i, v.gap);
    const { status, objective, bound, gap, ...rest } = v.kpis || {};
    void status; void objective; void bound; void gap;
    walk("", rest, i);
  });
  return [...rows.entries()];
}

// KPIs that are shares (0..1) are shown as percentages; minutes say so; instants as date and 24-hour time.
const SHARE = /(^gap$|share|minimum|quartile|median|room utilisation|utilisation)/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A KPI value as a planner reads it: "83.3%", "12 min", "2025-10-25 09:00", "1,093". */
export function formatKpi(label, value) {
  if (value === null || value === undefined || value === "") return "–";
  if (typeof value === "string") {
    return ISO_INSTANT.test(value) ? `${value.slice(0, 10)} ${value.slice(11, 16)}${value.endsWith("Z") ? " UTC" : ""}` : value;
  }
  if (typeof value !== "number") return String(value);
  if (SHARE.test(label) && value >= 0 && value <= 1) return `${(value * 100).toFixed(1)}%`;
  if (/minutes|min$/.test(label)) return `${Number.isInteger(value) ? value : value.toFixed(1)} min`;
  return Number.isInteger(value) ? value.toLocaleString("en-GB") : value.toFixed(2);
}

export async function comparisonView(main, [jobId], ctx) {
  const path = `/comparisons/${encodeURIComponent(jobId)}`;
  let answer;
  try { answer = await api(path, { signal: ctx.signal }); } catch (error) {
    if (missing(error)) { render(main, html`<h1>Comparison <code>${jobId}</code></h1>${UNAVAILABLE}`); return; }
    throw error;
  }
  render(main, html`<h1>Comparison <code>${jobId}</code></h1>
    <p id="cmp-status" role="status" aria-live="polite">Job ${answer.job.status}</p>
    <div id="cmp-result"></div>`);
  const status = $("#cmp-status");
  if (!answer.comparison && !["failed", "cancelled"].includes(answer.job.status)) {
    try {
      const finished = [];
      let state = answer.job.status;
      const show = () => {
        status.textContent = `Job ${state}${finished.length ? ` — solved: ${finished.join(", ")}` : ""}`;
      };
      await followJob(jobId, { signal: ctx.signal, onStatus: (job) => { state = job.status; show(); },
        // one point per finished solve, named by its variant: say which
        onProgress: (point) => { finished.push(`${point.label || "a variant"} → ${point.objective}`); show(); } });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
    }
    for (let i = 0; i < 600 && !ctx.signal.aborted; i += 1) {
      answer = await api(path, { signal: ctx.signal });
      if (answer.comparison || ["failed", "cancelled"].includes(answer.job.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  status.textContent = `Job ${answer.job.status}${answer.job.error ? `: ${answer.job.error}` : ""}`;
  if (!answer.comparison) return;
  const { variants } = answer.comparison;
  const charts = answer.charts || answer.comparison.charts || [];
  const rows = kpiRows(variants);
  render($("#cmp-result"), html`
    <section aria-labelledby="kpi-title"><h2 id="kpi-title">KPIs</h2>
      <p class="meta">${variants.length} variants (the base first) · ${answer.comparison.time_limit_s ?? "?"} s per solve ·
        ${answer.comparison.seeds ?? 1} seed(s). Per-delegation shares and room utilisation are in the charts and the CSV.</p>
      <div class="toolbar"><button type="button" data-download="${path}?format=csv" data-name="comparison-${jobId}.csv">
        Download the KPI table (CSV)</button></div>
      <div class="table-scroll"><table class="data kpis">
        <thead><tr><th scope="col">KPI</th>${variants.map((v) => html`<th scope="col">${v.name}</th>`)}</tr></thead>
        <tbody>${rows.map(([label, values]) => html`<tr><th scope="row">${label}</th>${values.map((value) =>
          html`<td>${formatKpi(label, value)}</td>`)}</tr>`)}</tbody></table></div>
    </section>
    <section aria-labelledby="charts-title"><h2 id="charts-title">Charts</h2>
      <div class="charts">${charts.map((c) => html`<figure class="cmp-chart" data-chart="${c}">
        <p class="loading">Loading chart ${c}…</p><figcaption>${c.replaceAll("_", " ").replaceAll("-", " ")}</figcaption></figure>`)}</div>
    </section>`);
  wireDownloads(main);
  announce(`Comparison ${answer.job.status}: ${variants.length} variants`);
  await Promise.all([...main.querySelectorAll("figure[data-chart]")].map(async (figure) => {
    const chart = figure.dataset.chart;
    try {
      const blob = await fetchBlob(`${path}/charts/${encodeURIComponent(chart)}.png`, ctx.signal);
      const img = document.createElement("img");
      img.src = URL.createObjectURL(blob);
      img.alt = `Comparison chart: ${chart.replaceAll("_", " ").replaceAll("-", " ")} (the numbers are in the KPI table)`;
      figure.querySelector(".loading").replaceWith(img);
    } catch (error) {
      if (ctx.signal.aborted) return;
      figure.querySelector(".loading").textContent = `Chart ${chart} unavailable: ${error.message}`;
    }
  }));
}
