// Changes: build a change list (participant delayed, room closed, event added, event cancelled), re-plan,
// follow the job, then show the new timetable with what changed.

import { api, ApiError } from "./api.js";
import { loadTimetable, indexScenario } from "./grid.js";
import { jobPanel } from "./job.js";
import { describeChange, errorList } from "./scenarios.js";
import { $, announce, html, kindLabel, render } from "./util.js";

const OPS = [
  ["room_closed", "Room closed"],
  ["participant_delayed", "Participant delayed"],
  ["event_added", "Event added"],
  ["event_cancelled", "Event cancelled"],
];

function byName(list) { return [...list].sort((a, b) => (a.name || a.title || a.id).localeCompare(b.name || b.title || b.id)); }

export async function changesView(main, [tid], ctx) {
  const { tt, doc, scenario } = await loadTimetable(tid, ctx.signal);
  const index = indexScenario(doc);
  const first = doc.days[0];
  const last = doc.days[doc.days.length - 1];
  const dayStart = `${first.date}T${first.start}`;
  const dayEnd = `${first.date}T${first.end}`;
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
        <div class="field"><label for="op">Change</label>
          <select id="op" name="op">${OPS.map(([op, label]) => html`<option value="${op}">${label}</option>`)}</select></div>
        <fieldset data-op="room_closed"><legend>Room closed</legend>
          <div class="field"><label for="rc-room">Room</label>
            <select id="rc-room" name="rc_room">${doc.rooms.map((r) => html`<option value="${r.id}">${r.name || r.id}</option>`)}</select></div>
          <div class="field"><label for="rc-start">From</label>
            <input id="rc-start" name="rc_start" type="datetime-local" value="${dayStart}" required></div>
          <div class="field"><label for="rc-end">Until</label>
            <input id="rc-end" name="rc_end" type="datetime-local" value="${dayEnd}" required></div>
          <div class="field"><label for="rc-reason">Reason (optional)</label>
            <input id="rc-reason" name="rc_reason" type="text" maxlength="200"></div>
        </fieldset>
        <fieldset data-op="participant_delayed" hidden><legend>Participant delayed</legend>
          <div class="field"><label for="pd-participant">Participant</label>
            <select id="pd-participant" name="pd_participant">${byName(doc.participants).map((p) =>
              html`<option value="${p.id}">${p.name || p.id} (${p.delegation})</option>`)}</select></div>
          <div class="field"><label for="pd-arrival">Arrives at (optional)</label>
            <input id="pd-arrival" name="pd_arrival" type="datetime-local" value="${dayStart}"></div>
          <div class="field"><label for="pd-departure">Leaves at (optional)</label>
            <input id="pd-departure" name="pd_departure" type="datetime-local"></div>
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
        </fieldset>
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
        <div class="field"><label for="rp-now">Now (optional: events started or within the freeze window stay)</label>
          <input id="rp-now" name="now" type="datetime-local"></div>
        <button type="submit" class="primary" id="replan">Re-plan</button>
      </form>
      <div id="replan-errors"></div>
    </section>
    </div>
    <div id="replan-job"></div>`);
  const form = $("#change-form");
  const showOp = () => {
    for (const fieldset of form.querySelectorAll("fieldset")) fieldset.hidden = fieldset.dataset.op !== form.op.value;
  };
  form.op.addEventListener("change", showOp);
  showOp();
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
    const f = form.elements;
    let change;
    switch (f.op.value) {
      case "room_closed":
        if (!f.rc_start.value || !f.rc_end.value) { error.textContent = "Give the start and end of the closure."; return; }
        change = { op: "room_closed", room: f.rc_room.value, start: f.rc_start.value, end: f.rc_end.value };
        if (f.rc_reason.value.trim()) change.reason = f.rc_reason.value.trim();
        break;
      case "participant_delayed":
        if (!f.pd_arrival.value && !f.pd_departure.value) { error.textContent = "Give an arrival or a departure time."; return; }
        change = { op: "participant_delayed", participant: f.pd_participant.value };
        if (f.pd_arrival.value) change.arrival = f.pd_arrival.value;
        if (f.pd_departure.value) change.departure = f.pd_departure.value;
        break;
      case "event_added": {
        const people = [...f.ea_participants.selectedOptions].map((o) => o.value);
        if (!f.ea_id.value.trim()) { error.textContent = "Give the new event an id."; f.ea_id.focus(); return; }
        if (!people.length) { error.textContent = "Choose at least one participant."; f.ea_participants.focus(); return; }
        change = { op: "event_added", event: { id: f.ea_id.value.trim(), title: f.ea_title.value.trim() || f.ea_id.value.trim(),
          kind: f.ea_kind.value, duration_minutes: Number(f.ea_duration.value), participants: people,
          required: f.ea_required.checked } };
        break;
      }
      default:
        change = { op: "event_cancelled", event: f.ec_event.value };
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
    if (f.now.value) body.now = f.now.value;
    const errors = $("#replan-errors");
    render(errors, "");
    replanButton.disabled = true;
    let job;
    try {
      job = await api(`/timetables/${encodeURIComponent(tt.id)}/changes`, { method: "POST", body });
    } catch (error) {
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
      location.hash = `#/timetables/${encodeURIComponent(done.timetable_id)}/diff/${encodeURIComponent(tt.id)}`;
    } else {
      replanButton.disabled = false;
    }
  });
}
