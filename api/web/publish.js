// Draft and published: a timetable's publication state, the "Publish" button, and the 409s it can meet
// (another plan was published since: the current one and "Rebase on it"; started events would move: "Publish anyway").

import { api, ApiError, followJob } from "./api.js";
import { html, render, announce } from "./util.js";

/** The summit's published timetable id (the base a re-plan or publish sends), or null. */
export async function publishedOf(scenarioId, signal) {
  const summit = await api(`/summits/${encodeURIComponent(scenarioId)}`, { signal });
  return summit.published_timetable_id;
}

function link(id) { return html`<a href="#/timetables/${encodeURIComponent(id)}">${id}</a>`; }

/** Explains a refused publish or re-plan; ``retry(extra)`` sends it again with ``extra`` in the body. */
export function refusal(el, error, retry) {
  if (!(error instanceof ApiError) || error.status !== 409) {
    render(el, html`<div class="notice error" role="alert">${error.message}</div>`);
    return;
  }
  const current = /published plan is (\w+)/.exec((error.details[0] || {}).message || "");
  render(el, html`<div class="notice error" role="alert" id="publish-refused">
    <p><strong>${error.code === "stale_base" ? "Another plan was published" : "Refused"}:</strong> ${error.message}</p>
    ${current ? html`<p>The published plan is ${link(current[1])}.</p>` : ""}
    ${error.code === "stale_base" && retry ? html`<button type="button" id="rebase">Rebase on the published plan</button>` : ""}
    ${error.code === "past_events_changed" && retry ? html`<button type="button" id="publish-anyway">Publish anyway (move started events)</button>` : ""}
  </div>`);
  const rebase = el.querySelector("#rebase");
  if (rebase) rebase.addEventListener("click", () => retry({ rebase: true }));
  const anyway = el.querySelector("#publish-anyway");
  if (anyway) anyway.addEventListener("click", () => retry({ allow_past_changes: true }));
}

/** The publication panel of a timetable: "Published" or "Draft" and, for a planner, "Publish". */
export async function publicationPanel(el, tt, ctx) {
  const published = await publishedOf(tt.scenario_id, ctx.signal);
  const isPublished = published === tt.id;
  render(el, html`<p class="meta" id="publication-state"><span class="status status-${isPublished ? "optimal" : "draft"}">${
      isPublished ? "Published" : "Draft"}</span> ${isPublished ? "delegations see this plan" :
      published ? html`delegations see ${link(published)}` : "nothing published yet"}
    ${!isPublished && ctx.canWrite ? html`<button type="button" class="primary" id="publish">Publish</button>` : ""}
    · <a href="#/summits/${encodeURIComponent(tt.scenario_id)}/day">Summit day: reports and proposals</a></p>
    <div id="publish-result"></div>`);
  const button = el.querySelector("#publish");
  if (!button) return;
  const send = async (extra = {}) => {
    button.disabled = true;
    const out = el.querySelector("#publish-result");
    try {
      const body = { ...(published ? { base: published } : {}), ...extra };
      const answer = await api(`/timetables/${encodeURIComponent(tt.id)}/publish`, { method: "POST", body });
      if (answer && answer.status && answer.id) {  // a rebase: a re-plan on the published plan, then its draft
        render(out, html`<p role="status">Re-planning on the published plan (job ${answer.id})…</p>`);
        const done = await followJob(answer.id, { signal: ctx.signal });
        if (done.timetable_id) location.hash = `#/timetables/${encodeURIComponent(done.timetable_id)}`;
        return;
      }
      announce(`Timetable ${tt.id} published`);
      await publicationPanel(el, tt, ctx);
    } catch (error) {
      button.disabled = false;
      refusal(out, error, send);
    }
  };
  button.addEventListener("click", () => send());
}
