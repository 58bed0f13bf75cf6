// A job, live: status, the objective/bound chart from its event stream, Stop, and the timetable when done.

import { api, followJob } from "./api.js";
import { chartLegend, progressChart } from "./chart.js";
import { $, announce, html, raw, render } from "./util.js";

const FINISHED = new Set(["done", "failed", "cancelled"]);

/**
 * Follow ``jobId`` inside ``container``: chart, live status, Stop. Resolves with the final job.
 * Used by the solve view and after a change (re-plan).
 */
export async function jobPanel(container, jobId, ctx, title = "Progress") {
  let job = await api(`/jobs/${encodeURIComponent(jobId)}`, { signal: ctx.signal });
  const points = [...job.progress];
  const limit = Number((job.params && job.params.time_limit_s) || 0);
  render(container, html`
    <section class="card job" aria-labelledby="job-title-${jobId}">
      <h2 id="job-title-${jobId}">${title}</h2>
      <p class="job-status" id="job-status" role="status" aria-live="polite"></p>
      <figure class="chart-box">
        <div id="job-chart"></div>
        <figcaption>${raw(chartLegend)}</figcaption>
      </figure>
      <div class="actions">
        ${ctx.canWrite ? html`<button type="button" id="stop-job" class="danger">Stop</button>` : ""}
        <span id="job-links"></span>
      </div>
    </section>`);
  const status = $("#job-status", container);
  const chart = $("#job-chart", container);
  const stop = $("#stop-job", container);
  const elapsed = () => {
    const started = Date.parse(job.started_at || "");
    if (Number.isNaN(started)) return 0;
    const end = FINISHED.has(job.status) ? Date.parse(job.finished_at || "") : Date.now();
    return Number.isNaN(end) ? 0 : Math.max(0, Math.min((end - started) / 1000, limit || Infinity));
  };
  const draw = () => {
    chart.innerHTML = progressChart(points, limit, elapsed());
    const last = points[points.length - 1];
    const progress = last ? ` — objective ${last.objective}${last.bound !== null && last.bound !== undefined
      ? `, bound ${last.bound}` : ""} at ${last.seconds.toFixed(1)} s${last.label ? ` (${last.label})` : ""}` : "";
    status.textContent = `Job ${job.status}${progress}`;
    status.dataset.status = job.status;
    if (stop) stop.disabled = FINISHED.has(job.status);
  };
  draw();
  if (stop) {
    stop.addEventListener("click", async () => {
      stop.disabled = true;
      status.textContent = "Stopping…";
      try { job = await api(`/jobs/${encodeURIComponent(jobId)}`, { method: "DELETE" }); draw(); } catch (error) {
        status.textContent = `Could not stop: ${error.message}`;
        stop.disabled = false;
      }
    });
  }
  const ticker = setInterval(() => { if (job.status === "running") draw(); }, 1000);
  ctx.signal.addEventListener("abort", () => clearInterval(ticker));
  if (!FINISHED.has(job.status)) {
    job = await followJob(jobId, {
      signal: ctx.signal,
      onProgress: (point) => { points.push(point); draw(); },
      onStatus: (update) => {
        job = { ...job, ...update };
        if (update.progress && update.progress.length > points.length) points.splice(0, points.length, ...update.progress);
        draw();
      },
    });
  }
  clearInterval(ticker);
  if (job.progress && job.progress.length > points.length) points.splice(0, points.length, ...job.progress);
  draw();
  const links = $("#job-links", container);
  if (job.timetable_id) {
    render(links, html`<a class="button primary" id="open-timetable" href="#/timetables/${
      encodeURIComponent(job.timetable_id)}">Open the timetable</a>`);
  } else if (job.status === "failed") {
    render(links, html`<span class="notice error" role="alert">The job failed: ${job.error || "unknown error"}</span>`);
  }
  announce(`Job ${job.status}${job.timetable_id ? "; the timetable is ready" : ""}`);
  return job;
}

export async function jobView(main, [jobId], ctx) {
  const job = await api(`/jobs/${encodeURIComponent(jobId)}`, { signal: ctx.signal });
  render(main, html`
    <p class="crumbs"><a href="#/scenarios">Scenarios</a> › <a href="#/scenarios/${
      encodeURIComponent(job.scenario_id)}">scenario</a> ›</p>
    <h1>${job.kind === "replan" ? "Re-plan" : "Solve"} job <code>${job.id}</code></h1>
    <div id="job-panel"></div>`);
  const done = await jobPanel($("#job-panel"), jobId, ctx, `Incumbent objective and bound (limit ${
    (job.params && job.params.time_limit_s) || "?"} s)`);
  if (done.timetable_id) $("#open-timetable")?.focus();
}
