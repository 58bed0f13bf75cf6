// Compare: run variants of a scenario side by side, then the KPI table and the charts of the run.

import { api, ApiError, fetchBlob, followJob } from "./api.js";
import { wireDownloads } from "./grid.js";
import { changeFieldsHtml, changeFrom, FormProblem, wireChangeFields } from "./changes.js";
import { describeChange, errorList } from "./scenarios.js";
import { $, announce, html, render } from "./util.js";

/** The comparison endpoints are not deployed: an unknown route (405, or a 404 that names no resource). */
function missing(error) {
  return error instanceof ApiError && (error.status === 405
    || (error.status === 404 && !/^no \w+ with id/.test(error.message)));
}

const UNAVAILABLE = html`<div class="notice" role="status"><p>Comparisons are not available on this server yet
  (<code>/comparisons</code> does not answer).</p></div>`;

/** The past comparisons, newest first, each a link to its KPIs and charts. */
function pastHtml(past) {
  if (past === null) return html`<p class="muted">This server does not list past comparisons.</p>`;
  if (!past.length) return html`<p class="empty">No comparison yet.</p>`;
  return html`<div class="table-scroll"><table class="data past-comparisons">
    <thead><tr><th scope="col">Comparison</th><th scope="col">Scenario</th><th scope="col">Variants (with the base)</th>
      <th scope="col">Per solve</th><th scope="col">Status</th><th scope="col">Started (UTC)</th></tr></thead>
    <tbody>${past.map((c) => html`<tr data-id="${c.id}">
      <td><a href="#/compare/${encodeURIComponent(c.id)}">${c.variants.join(" · ") || c.id}</a></td>
      <td>${c.scenario_name}${c.scenario_version ? ` (v${c.scenario_version})` : ""}</td>
      <td>${c.variants.length + 1}</td>
      <td>${c.time_limit_s ?? "?"} s × ${c.seeds} seed(s)</td>
      <td><span class="status status-${c.status}">${c.status}</span></td>
      <td>${c.created_at.slice(0, 16).replace("T", " ")}</td></tr>`)}</tbody></table></div>`;
}

/** The variants being built: each with its changes, a Remove per change and per variant. */
function variantsHtml(variants) {
  if (!variants.length) return html`<li class="empty">No variant yet: name one below, then add its changes.</li>`;
  return html`${variants.map((v, i) => html`<li class="variant" data-variant="${i}">
    <strong>${v.name}</strong> <span class="muted">(${v.changes.length ? `${v.changes.length} change(s)` : "as the base"})</span>
    <button type="button" class="small" data-remove-variant="${i}" aria-label="Remove the variant ${v.name}">Remove</button>
    ${v.changes.length ? html`<ol class="pending">${v.changes.map((change, j) => html`<li><code>${describeChange(change)}</code>
      <button type="button" class="small" data-remove-change="${i}:${j}"
        aria-label="Remove change ${j + 1} of ${v.name}">Remove</button></li>`)}</ol>` : ""}</li>`)}`;
}

/** The variants as the API takes them, from the advanced JSON: a list of {name, changes}; throws with the problem. */
function variantsFromJson(text) {
  const parsed = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error("expected a list of {\"name\": ..., \"changes\": [...]}");
  return parsed.map((v, i) => {
    if (!v || typeof v.name !== "string" || !v.name.trim()) throw new Error(`variant ${i + 1} has no "name"`);
    if (v.changes !== undefined && !Array.isArray(v.changes)) throw new Error(`variant ${i + 1}: "changes" is not a list`);
    return { name: v.name.trim(), changes: v.changes || [] };
  });
}

export async function compareView(main, _params, ctx) {
  const [scenarios, past] = await Promise.all([
    api("/scenarios?limit=200", { signal: ctx.signal }),
    api("/comparisons?limit=50", { signal: ctx.signal }).catch((error) => {
      if (ctx.signal.aborted) throw error;
      return null;
    })]);
  render(main, html`
    <h1>Compare variants</h1>
    ${ctx.canWrite ? html`<section class="card" aria-labelledby="cmp-title">
      <h2 id="cmp-title">New comparison</h2>
      <div class="row-form">
        <div class="field"><label for="cmp-scenario">Scenario</label>
          <select id="cmp-scenario" name="scenario_id" required>${scenarios.map((s) =>
            html`<option value="${s.id}">${s.name} (v${s.latest_version})</option>`)}</select></div>
        <div class="field"><label for="cmp-version">Version (optional, default the latest)</label>
          <input id="cmp-version" name="version" type="number" min="1"></div>
      </div>
      <div class="two-columns">
        <section aria-labelledby="variants-title">
          <h3 id="variants-title">Variants <span class="muted">(the base is always compared too)</span></h3>
          <ol id="variants" class="variants"></ol>
          <form id="variant-new" class="row-form">
            <div class="field"><label for="cmp-variant-name">New variant's name</label>
              <input id="cmp-variant-name" name="name" type="text" maxlength="80" required></div>
            <button type="submit">Add a variant</button>
          </form>
          <p id="variant-error" class="field-error" role="alert"></p>
        </section>
        <section aria-labelledby="cmp-change-title">
          <h3 id="cmp-change-title">Its changes <span class="muted">(as on the re-plan page)</span></h3>
          <form id="change-form" class="stack" novalidate>
            <div class="field"><label for="cmp-target">Add to variant</label>
              <select id="cmp-target" name="target"></select></div>
            <div id="change-fields" class="stack"><p class="loading">Loading the scenario…</p></div>
            <p id="change-error" class="field-error" role="alert"></p>
            <button type="submit">Add this change to the variant</button>
          </form>
        </section>
      </div>
      <details id="cmp-advanced" class="advanced">
        <summary>Advanced: the variants as JSON</summary>
        <div class="field"><label for="cmp-variants">Variants (JSON: a list of {name, changes})</label>
          <textarea id="cmp-variants" name="variants" rows="10" spellcheck="false"></textarea></div>
        <button type="button" id="cmp-use-json">Use this JSON</button>
        <p id="json-error" class="field-error" role="alert"></p>
      </details>
      <form id="compare-form" class="row-form run-form">
        <div class="field"><label for="cmp-limit">Time limit per variant (s)</label>
          <input id="cmp-limit" name="time_limit_s" type="number" min="1" max="600" value="5"></div>
        <div class="field"><label for="cmp-seeds">Seeds</label>
          <input id="cmp-seeds" name="seeds" type="number" min="1" max="5" value="1"></div>
        <button type="submit" class="primary" id="cmp-run">Run the comparison</button>
      </form>
      <div id="compare-errors"></div>
    </section>` : ""}
    <section class="card" aria-labelledby="past-title"><h2 id="past-title">Past comparisons</h2>
      ${pastHtml(past)}</section>`);
  if (ctx.canWrite) await wireBuilder(main, ctx);
}

/** The new comparison's builder: variants named, their changes entered with the re-plan page's forms (over the
 * chosen scenario's rooms, people and days), the JSON as an advanced way in, then the run. */
async function wireBuilder(main, ctx) {
  const variants = [];
  const list = $("#variants"), target = $("#cmp-target"), changeForm = $("#change-form");
  const draw = () => {
    render(list, variantsHtml(variants));
    const chosen = target.value;
    render(target, html`${variants.map((v, i) => html`<option value="${i}">${v.name}</option>`)}`);
    if (chosen && Number(chosen) < variants.length) target.value = chosen;
    $("#cmp-run").disabled = !variants.length;
    if ($("#cmp-advanced").open) $("#cmp-variants").value = JSON.stringify(variants, null, 2);
  };
  const loadFields = async () => {
    const f = $("#cmp-scenario");
    const version = $("#cmp-version").value;
    const answer = await api(`/scenarios/${encodeURIComponent(f.value)}${version ? `?version=${version}` : ""}`,
      { signal: ctx.signal });
    render($("#change-fields"), changeFieldsHtml(answer.scenario));
    wireChangeFields(changeForm);
  };
  $("#cmp-scenario").addEventListener("change", () => loadFields().catch((error) => {
    render($("#change-fields"), html`<p class="field-error" role="alert">${error.message}</p>`);
  }));
  $("#variant-new").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = event.target.elements.name.value.trim();
    const error = $("#variant-error");
    error.textContent = variants.some((v) => v.name === name) ? `A variant is already named "${name}".` : "";
    if (!name || error.textContent) return;
    variants.push({ name, changes: [] });
    event.target.reset();
    draw();
    target.value = String(variants.length - 1);
    announce(`Variant added: ${name}`);
  });
  list.addEventListener("click", (event) => {
    const variant = event.target.closest("button[data-remove-variant]");
    const change = event.target.closest("button[data-remove-change]");
    if (variant) variants.splice(Number(variant.dataset.removeVariant), 1);
    else if (change) {
      const [i, j] = change.dataset.removeChange.split(":").map(Number);
      variants[i].changes.splice(j, 1);
    } else return;
    draw();
    announce("Removed");
  });
  changeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const error = $("#change-error");
    error.textContent = "";
    if (!variants.length) { error.textContent = "Name a variant first (New variant's name)."; return; }
    try {
      const change = changeFrom(changeForm);
      variants[Number(target.value)].changes.push(change);
      draw();
      announce(`Change added to ${variants[Number(target.value)].name}: ${describeChange(change)}`);
    } catch (problem) {
      if (!(problem instanceof FormProblem)) throw problem;
      error.textContent = problem.message;
      if (problem.field) problem.field.focus();
    }
  });
  $("#cmp-advanced").addEventListener("toggle", (event) => {
    if (event.target.open) $("#cmp-variants").value = JSON.stringify(variants, null, 2);
  });
  $("#cmp-use-json").addEventListener("click", () => {
    const error = $("#json-error");
    try {
      const parsed = variantsFromJson($("#cmp-variants").value);
      variants.splice(0, variants.length, ...parsed);
      error.textContent = "";
      draw();
      announce(`${variants.length} variant(s) from the JSON`);
    } catch (problem) {
      error.textContent = `The variants are not usable JSON: ${problem.message}`;
      $("#cmp-variants").focus();
    }
  });
  $("#compare-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const out = $("#compare-errors");
    const body = { scenario_id: $("#cmp-scenario").value, variants, time_limit_s: Number(f.time_limit_s.value),
      seeds: Number(f.seeds.value) };
    if ($("#cmp-version").value) body.version = Number($("#cmp-version").value);
    try {
      const job = await api("/comparisons", { method: "POST", body });
      location.hash = `#/compare/${encodeURIComponent(job.id)}`;
    } catch (error) {
      render(out, missing(error) ? UNAVAILABLE : errorList(error, "The comparison was refused"));
    }
  });
  draw();
  await loadFields();
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
      <details class="variant-changes"><summary>What each variant changes</summary>
        <ul>${variants.map((v) => html`<li><strong>${v.name}</strong>: ${(v.changes || []).length
          ? html`<code>${(v.changes || []).map(describeChange).join("; ")}</code>` : "nothing (as the base)"}</li>`)}</ul>
      </details>
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
