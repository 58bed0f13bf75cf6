// The summit day: the summit's clock, one-action reports, and the open proposal (accept, discard, lift the freeze).

import { api, followJob, streamEvents } from "./api.js";
import { refusal } from "./publish.js";
import { $, announce, html, render } from "./util.js";

const KINDS = [
  ["event_started", "Event started", ["event"]],
  ["event_ended", "Event ended", ["event"]],
  ["running_late", "Event running late", ["event", "minutes"]],
  ["participant_arrived", "Participant arrived", ["participant"]],
  ["participant_delayed", "Participant delayed", ["participant", "minutes"]],
  ["room_out", "Room out", ["room"]],
];

function options(list, label) {
  return [...list].sort((a, b) => label(a).localeCompare(label(b)))
    .map((x) => html`<option value="${x.id}">${label(x)}</option>`);
}

export async function summitDayView(main, [sid], ctx) {
  const [summit, scenario] = await Promise.all([
    api(`/summits/${encodeURIComponent(sid)}`, { signal: ctx.signal }),
    api(`/scenarios/${encodeURIComponent(sid)}`, { signal: ctx.signal })]);
  const doc = scenario.scenario;
  render(main, html`
    <p class="crumbs"><a href="#/scenarios">Scenarios</a> › <a href="#/scenarios/${encodeURIComponent(sid)}">${scenario.name}</a> ›</p>
    <h1>Summit day: ${scenario.name}</h1>
    <p class="meta" id="day-clock">Summit clock: <time>${summit.clock.now}</time> (${summit.clock.kind}) · published plan: ${
      summit.published_timetable_id ? html`<a href="#/timetables/${encodeURIComponent(summit.published_timetable_id)}">${
        summit.published_timetable_id}</a>` : "none yet"}</p>
    <div class="two-columns">
    <section class="card" aria-labelledby="report-title">
      <h2 id="report-title">Report what happens</h2>
      <form id="report-form" class="stack" novalidate>
        <div class="field"><label for="rk">What happened</label>
          <select id="rk" name="kind">${KINDS.map(([k, label]) => html`<option value="${k}">${label}</option>`)}</select></div>
        <div class="field" data-for="event"><label for="r-event">Event</label>
          <select id="r-event" name="event">${options(doc.events, (e) => `${e.title || e.id} (${e.id})`)}</select></div>
        <div class="field" data-for="participant"><label for="r-participant">Participant</label>
          <select id="r-participant" name="participant">${options(doc.participants, (p) => `${p.name || p.id} (${p.delegation})`)}</select></div>
        <div class="field" data-for="room"><label for="r-room">Room</label>
          <select id="r-room" name="room">${options(doc.rooms, (r) => r.name || r.id)}</select></div>
        <div class="field" data-for="minutes"><label for="r-minutes">Minutes</label>
          <input id="r-minutes" name="minutes" type="number" min="1" max="1440" value="15"></div>
        <button type="submit" class="primary">Report</button>
      </form>
      <div id="report-errors"></div>
    </section>
    <section class="card" aria-labelledby="proposal-title">
      <h2 id="proposal-title">Proposal</h2>
      <div id="proposal"></div>
    </section>
    </div>
    <section class="card" aria-labelledby="notices-title">
      <h2 id="notices-title">Notices sent (live)</h2>
      <p class="meta" id="notices-state">Each publish tells every delegation it affects; they appear here as they are written.</p>
      <ol id="live-notices" class="pending" aria-live="polite"></ol>
    </section>`);
  liveNotices(sid, ctx);
  const form = $("#report-form");
  const showFields = () => {
    const needed = KINDS.find(([k]) => k === form.kind.value)[2];
    for (const field of form.querySelectorAll("[data-for]")) field.hidden = !needed.includes(field.dataset.for);
  };
  form.kind.addEventListener("change", showFields);
  showFields();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const needed = KINDS.find(([k]) => k === form.kind.value)[2];
    const body = { kind: form.kind.value };
    for (const name of needed) body[name] = name === "minutes" ? Number(form.minutes.value) : form[name].value;
    render($("#report-errors"), "");
    try {
      const proposal = await api(`/summits/${encodeURIComponent(sid)}/reports`, { method: "POST", body });
      announce(`Reported: ${form.kind.selectedOptions[0].textContent}`);
      await showProposal($("#proposal"), proposal, ctx);
    } catch (error) {
      refusal($("#report-errors"), error, null);
    }
  });
  if (summit.open_proposal) {
    await showProposal($("#proposal"), await api(`/proposals/${encodeURIComponent(summit.open_proposal)}`), ctx);
  } else {
    render($("#proposal"), html`<p id="proposal-state">No open proposal: report something.</p>`);
  }
}

/** The summit's notices as publishes write them, from the server's event stream (newest first). */
function liveNotices(sid, ctx) {
  const list = $("#live-notices");
  streamEvents(`/summits/${encodeURIComponent(sid)}/notices/stream`, ({ event, data }) => {
    if (event !== "notice") return;
    const item = document.createElement("li");
    render(item, html`<strong>${data.delegation}</strong>: ${(data.lines || []).join(" · ")}`);
    list.prepend(item);
  }, { signal: ctx.signal }).catch(() => {
    const state = $("#notices-state");
    if (state && !(ctx.signal && ctx.signal.aborted)) state.textContent = "The live notices stream stopped: reload the page to follow them again.";
  });
}

function resultText(result) {
  if (!result) return "";
  const diff = result.diff || { moved: [], room_changes: [], added: [], dropped: [], by_delegation: {} };
  const tell = Object.keys(diff.by_delegation || {});
  const shortened = (diff.shortened || []).length ? `, ${diff.shortened.length} shortened` : "";
  const longer = (diff.lengthened || []).length ? `, ${diff.lengthened.length} longer` : "";
  return `${result.status}: ${diff.moved.length} moved, ${diff.room_changes.length} room changes${shortened}${longer}, ${diff.dropped.length} dropped; disruption ${
    result.disruption}${result.disruption_bound !== undefined && result.disruption_bound !== null ? ` (bound ${result.disruption_bound})` : ""}; tell: ${
    tell.length ? tell.join(", ") : "nobody"}`;
}

async function showProposal(el, proposal, ctx) {
  const job = proposal.job;
  render(el, html`<p id="proposal-state" role="status"><strong>${proposal.status}</strong> · ${proposal.reports.length} report(s) · ${
      job ? `re-plan ${job.status}` : ""}</p>
    <ol class="pending">${proposal.reports.map((r) => html`<li><code>${r.kind} ${r.event || r.participant || r.room || ""}${
      r.minutes ? ` ${r.minutes} min` : ""}</code></li>`)}</ol>
    <p id="proposal-result">${resultText(proposal.result)}</p>
    ${proposal.why_nothing_fits.length ? html`<ul class="problems" id="why-nothing-fits">${proposal.why_nothing_fits.map((d) =>
      html`<li class="problem">${d.message || JSON.stringify(d)}</li>`)}</ul>` : ""}
    ${proposal.timetable_id ? html`<p><a href="#/timetables/${encodeURIComponent(proposal.base_timetable_id)}/diff/${
      encodeURIComponent(proposal.timetable_id)}">See the proposal's changes</a></p>` : ""}
    ${proposal.status === "open" ? html`<div class="toolbar">
      <button type="button" class="primary" id="accept" ${proposal.timetable_id ? "" : "disabled"}>Accept and publish</button>
      <button type="button" id="discard">Discard</button>
      <form id="unfreeze-form" class="inline-form"><label for="unfreeze-event">Lift the freeze for</label>
        <input id="unfreeze-event" name="event" type="text" spellcheck="false" placeholder="event id">
        <button type="submit">Re-plan</button></form></div>` : ""}
    <div id="proposal-errors"></div>`);
  if (proposal.status !== "open") return;
  if (job && (job.status === "queued" || job.status === "running")) {
    followJob(job.id, { signal: ctx.signal }).then(async () => {
      const fresh = await api(`/proposals/${encodeURIComponent(proposal.id)}`);
      if (fresh.job && fresh.job.id === job.id) await showProposal(el, fresh, ctx);
    }).catch(() => {});
  }
  const act = async (path, body) => {
    try {
      const next = await api(`/proposals/${encodeURIComponent(proposal.id)}/${path}`, { method: "POST", body });
      announce(`Proposal ${next.status}`);
      await showProposal(el, next, ctx);
    } catch (error) {
      refusal($("#proposal-errors"), error, path === "accept" ? (extra) => act("accept", extra) : null);
    }
  };
  $("#accept").addEventListener("click", () => act("accept", {}));
  $("#discard").addEventListener("click", () => act("discard"));
  $("#unfreeze-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = event.target.event.value.trim();
    if (id) act("unfreeze", { events: [id] });
  });
}
