// Changes: build a change list (participant delayed, room closed, event added, event cancelled), re-plan,
// follow the job, then show the new timetable with what changed.

import { api, ApiError } from "./api.js";
import { loadTimetable, indexScenario } from "./grid.js";
import { jobPanel } from "./job.js";
import { publishedOf, refusal } from "./publish.js";
import { describeChange, errorList } from "./scenarios.js";
import { $, announce, html, kindLabel, render } from "./util.js";

const OPS = [
  ["room_closed", "Room closed"],
  ["participant_delayed", "Participant delayed"],
  ["event_added", "Event added"],
  ["event_cancelled", "Event cancelled"],
];

/**
 * A moment of the summit as a day (one of its days) and a 24-hour time, in the summit's own time zone: the
 * browser's date-time input would show the planner's locale (MM/DD/YYYY, AM/PM) and zone instead.
 */
function whenField(id, label, doc, time = "", date = doc.days[0].date, optional = false) {
  const zone = doc.timezone || "UTC";
  return html`<div class="field when" role="group" aria-labelledby="${id}-label">
    <span id="${id}-label" class="label">${label} <span class="muted">(24-hour, ${zone})</span></span>
    <span class="when-inputs">
      <select id="${id}-date" name="${id}_date" aria-label="${label}: day">${optional && !time ? html`<option value="">—</option>` : ""}${
        doc.days.map((d) => html`<option value="${d.date}" ${d.date === date && (time || !optional) ? "selected" : ""}>${d.date}</option>`)}</select>
      <input id="${id}-time" name="${id}_time" type="text" inputmode="numeric" autocomplete="off" size="5" maxlength="5"
        pattern="([01][0-9]|2[0-3]):[0-5][0-9]" placeholder="HH:MM" value="${time}" aria-label="${label}: time (HH:MM, 24-hour)">
    </span></div>`;
}

/** "2025-10-25T13:00" from a when-field, "" when its time is empty; throws with a message when it is not HH:MM. */
function readWhen(form, id, label) {
  const time = form.elements[`${id}_time`].value.trim();
  const date = form.elements[`${id}_date`].value;
  if (!time) return "";
  if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(time)) {
    throw new FormProblem(`${label}: "${time}" is not a 24-hour time such as 09:30 or 17:45.`, form.elements[`${id}_time`]);
  }
  if (!date) throw new FormProblem(`${label}: choose the day.`, form.elements[`${id}_date`]);
  return `${date}T${time}`;
}

export class FormProblem extends Error {
  constructor(message, field = null) { super(message); this.field = field; }
}

/** The change the form describes, or a FormProblem saying what is missing. */
export function changeFrom(form) {
  const f = form.elements;
  switch (f.op.value) {
    case "room_closed": {
      const start = readWhen(form, "rc_start", "From"), end = readWhen(form, "rc_end", "Until");
      if (!start || !end) throw new FormProblem("Give the start and end of the closure.", f.rc_start_time);
      const change = { op: "room_closed", room: f.rc_room.value, start, end };
      if (f.rc_reason.value.trim()) change.reason = f.rc_reason.value.trim();
      return change;
    }
    case "participant_delayed": {
      const arrival = readWhen(form, "pd_arrival", "Arrives at"), departure = readWhen(form, "pd_departure", "Leaves at");
      if (!arrival && !departure) throw new FormProblem("Give an arrival or a departure time.", f.pd_arrival_time);
      const change = { op: "participant_delayed", participant: f.pd_participant.value };
      if (arrival) change.arrival = arrival;
      if (departure) change.departure = departure;
      return change;
    }
    case "event_added": {
      const people = [...f.ea_participants.selectedOptions].map((o) => o.value);
      if (!f.ea_id.value.trim()) throw new FormProblem("Give the new event an id.", f.ea_id);
      if (!people.length) throw new FormProblem("Choose at least one participant.", f.ea_participants);
      return { op: "event_added", event: { id: f.ea_id.value.trim(), title: f.ea_title.value.trim() || f.ea_id.value.trim(),
        kind: f.ea_kind.value, duration_minutes: Number(f.ea_duration.value), participants: people,
        required: f.ea_required.checked } };
    }
    default:
      return { op: "event_cancelled", event: f.ec_event.value };
  }
}

function byName(list) { return [...list].sort((a, b) => (a.name || a.title || a.id).localeCompare(b.name || b.title || b.id)); }

/** The change form's fields for ``doc``: the operation ("Change") and one fieldset per operation, the chosen
 * one shown (``wireChangeFields``). Used by the re-plan page and the comparison page's variants. */
export function changeFieldsHtml(doc) {
  const first = doc.days[0];
  const last = doc.days[doc.days.length - 1];
  return html`
        <div class="field"><label for="op">Change</label>
          <select id="op" name="op">${OPS.map(([op, label]) => html`<option value="${op}">${label}</option>`)}</select></div>
        <fieldset data-op="room_closed"><legend>Room closed</legend>
          <div class="field"><label for="rc-room">Room</label>
            <select id="rc-room" name="rc_room">${doc.rooms.map((r) => html`<option value="${r.id}">${r.name || r.id}</option>`)}</select></div>
          ${whenField("rc_start", "From", doc, first.start)}
          ${whenField("rc_end", "Until", doc, first.end)}
          <div class="field"><label for="rc-reason">Reason (optional)</label>
            <input id="rc-reason" name="rc_reason" type="text" maxlength="200"></div>
        </fieldset>
        <fieldset data-op="participant_delayed" hidden><legend>Participant delayed</legend>
          <div class="field"><label for="pd-participant">Participant</label>
            <select id="pd-participant" name="pd_participant">${byName(doc.participants).map((p) =>
              html`<option value="${p.id}">${p.name || p.id} (${p.delegation})</option>`)}</select></div>
          ${whenField("pd_arrival", "Arrives at (optional)", doc, first.start)}
          ${whenField("pd_departure", "Leaves at (optional)", doc, "", last.date, true)}
        </fieldset>
        <fieldset data-op="event_added" hidden><legend>Event added</legend>
          <div class="field"><label for="ea-id">Event id</label>
            <input id="ea-id" name="ea_id" type="text" pattern="\\S+" spellcheck="false"></div>
          <div class="field"><label for="ea-title">Title</label><input id="ea-title" name="ea_title" type="text"></div>
          <div class="field"><label for="ea-kind">Kind</label>
            <select id="ea-kind" name="ea_kind">${["bilateral", "round_table", "high_level", "other"].map((k) =>
              html`<option value="${k}">${kindLabel(k)}</option>`)}</select></div>
          <div class="field"><label for="ea-duration">Duration (minutes)</label>
            <input id="ea-duration" name="ea_duration" type="number" min="${doc.slot_minutes || 15}"
                   step="${doc.slot_minutes || 15}" value="${2 * (doc.slot_minutes || 15)}"></div>
          <div class="field"><label for="ea-participants">Participants (Ctrl/Shift for several)</label>
            <select id="ea-participants" name="ea_participants" multiple size="6">${byName(doc.participants).map((p) =>
              html`<option value="${p.id}">${p.name || p.id} (${p.delegation})</option>`)}</select></div>
          <div class="field check"><input id="ea-required" name="ea_required" type="checkbox">
            <label for="ea-required">Required (must be scheduled)</label></div>
        </fieldset>
        <fieldset data-op="event_cancelled" hidden><legend>Event cancelled</legend>
          <div class="field"><label for="ec-event">Event</label>
            <select id="ec-event" name="ec_event">${byName(doc.events).map((e) =>
              html`<option value="${e.id}">${e.title || e.id} (${e.id})</option>`)}</select></div>
        </fieldset>`;
}

/** Show the fieldset of the operation the form's "Change" names. */
export function wireChangeFields(form) {
  const showOp = () => {
    for (const fieldset of form.querySelectorAll("fieldset[data-op]")) fieldset.hidden = fieldset.dataset.op !== form.op.value;
  };
  form.op.addEventListener("change", showOp);
  showOp();
}

export async function changesView(main, [tid], ctx) {
  const { tt, doc, scenario } = await loadTimetable(tid, ctx.signal);
  const index = indexScenario(doc);
  const first = doc.days[0];
  const last = doc.days[doc.days.length - 1];
  const pending = [];
  render(main, html`
    <p class="crumbs"><a href="#/scenarios">Scenarios</a> › <a href="#/scenarios/${encodeURIComponent(tt.scenario_id)}">${
      scenario.name}</a> › <a href="#/timetables/${encodeURIComponent(tt.id)}">timetable ${tt.id}</a> ›</p>
    <h1>Re-plan timetable <code>${tt.id}</code></h1>
    <p class="meta">Times are local to ${doc.timezone || "UTC"}; the summit runs ${first.date} to ${last.date}.</p>
    <div class="two-columns">
    <section class="card" aria-labelledby="change-title">
      <h2 id="change-title">Enter a change</h2>
      <form id="change-form" class="stack" novalidate>
        ${changeFieldsHtml(doc)}
        <p id="change-error" class="field-error" role="alert"></p>
        <button type="submit">Add this change</button>
      </form>
    </section>
    <section class="card" aria-labelledby="pending-title">
      <h2 id="pending-title">Changes to apply</h2>
      <ol id="pending" class="pending"></ol>
      <form id="replan-form" class="stack">
        <div class="field"><label for="rp-limit">Time limit (seconds)</label>
          <input id="rp-limit" name="time_limit_s" type="number" min="1" max="600" value="10" required></div>
        <div class="field"><label for="rp-freeze">Freeze window (minutes after "now")</label>
          <input id="rp-freeze" name="freeze_minutes" type="number" min="0" max="1440" value="60"></div>
        ${whenField("rp_now", "Now (optional: events started or within the freeze window stay)", doc, "", first.date, true)}
        <button type="submit" class="primary" id="replan">Re-plan</button>
      </form>
      <div id="replan-errors"></div>
    </section>
    </div>
    <div id="replan-job"></div>`);
  const form = $("#change-form");
  wireChangeFields(form);
  const list = $("#pending");
  const replanButton = $("#replan");
  const drawPending = (problems = new Map()) => {
    render(list, pending.length ? html`${pending.map((change, i) => html`<li class="${problems.has(i) ? "invalid" : ""}">
      <code>${describeChange(change)}</code>
      <button type="button" class="small" data-remove="${i}" aria-label="Remove change ${i + 1}">Remove</button>
      ${problems.has(i) ? html`<ul class="problems">${problems.get(i).map((d) => html`<li class="problem">
        <code class="path">${d.path}</code> <span class="message">${d.message}</span></li>`)}</ul>` : ""}</li>`)}`
      : html`<li class="empty">None yet: add a change on the left.</li>`);
    replanButton.disabled = !pending.length;
    replanButton.textContent = pending.length ? `Re-plan with ${pending.length} change(s)` : "Re-plan";
  };
  drawPending();
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-remove]");
    if (!button) return;
    pending.splice(Number(button.dataset.remove), 1);
    drawPending();
    announce("Change removed");
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const error = $("#change-error");
    error.textContent = "";
    let change;
    try {
      change = changeFrom(form);
    } catch (problem) {
      error.textContent = problem.message;
      if (problem.field) problem.field.focus();
      return;
    }
    pending.push(change);
    drawPending();
    announce(`Change added: ${describeChange(change)}`);
  });
  $("#replan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pending.length) return;
    const f = event.target.elements;
    const body = { changes: pending, time_limit_s: Number(f.time_limit_s.value), freeze_minutes: Number(f.freeze_minutes.value || 60) };
    try {
      const now = readWhen(event.target, "rp_now", "Now");
      if (now) body.now = now;
    } catch (problem) {
      render($("#replan-errors"), html`<div class="notice error" role="alert">${problem.message}</div>`);
      return;
    }
    const errors = $("#replan-errors");
    render(errors, "");
    replanButton.disabled = true;
    let job;
    const send = async (extra = {}) => {
      const base = await publishedOf(tt.scenario_id);  // the published plan this re-plan builds on
      return api(`/timetables/${encodeURIComponent(tt.id)}/changes`,
        { method: "POST", body: { ...body, ...(base ? { base } : {}), ...extra } });
    };
    try {
      job = await send();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {  // another plan was published: show it, offer a rebase
        refusal(errors, error, async (extra) => {
          const rebased = await send(extra);
          const done = await jobPanel($("#replan-job"), rebased.id, ctx, "Re-planning on the published plan");
          if (done.status === "done" && done.timetable_id) location.hash = `#/timetables/${encodeURIComponent(done.timetable_id)}`;
        });
        replanButton.disabled = false;
        return;
      }
      const problems = new Map();
      if (error instanceof ApiError) {
        for (const d of error.details) {
          const m = /^changes\[(\d+)\]/.exec(d.path || "");
          if (m) problems.set(Number(m[1]), [...(problems.get(Number(m[1])) || []), d]);
        }
      }
      drawPending(problems);
      render(errors, errorList(error, "The changes were refused"));
      return;
    }
    const done = await jobPanel($("#replan-job"), job.id, ctx, "Re-planning");
    if (done.status === "done" && done.timetable_id) {
      sessionStorage.setItem(`summit.replan.${done.timetable_id}`, JSON.stringify(done.result || {}));
      location.hash = `#/timetables/${encodeURIComponent(tt.id)}/diff/${encodeURIComponent(done.timetable_id)}`;
    } else {
      replanButton.disabled = false;
    }
  });
}
