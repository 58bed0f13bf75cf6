// The timetable grid: per day, rooms as rows grouped by zone, time as columns; filters, details, unscheduled
// requests, downloads; with a second timetable, the changes from it (moved, room changed, added, dropped).

import { api, download } from "./api.js";
import { publicationPanel } from "./publish.js";
import { $, $$, announce, dateLabel, esc, hhmm, html, kindLabel, minutesOf, render, zoneClock } from "./util.js";

/** The timetable, its scenario version's document and the scenario's timetables. */
export async function loadTimetable(tid, signal) {
  const tt = await api(`/timetables/${encodeURIComponent(tid)}`, { signal });
  const sid = encodeURIComponent(tt.scenario_id);
  const timetables = await api(`/scenarios/${sid}/timetables`, { signal });
  const summary = timetables.find((t) => t.id === tt.id);
  const version = summary ? summary.scenario_version : undefined;
  const scenario = await api(`/scenarios/${sid}${version ? `?version=${version}` : ""}`, { signal });
  return { tt, doc: scenario.scenario, scenario, summary, timetables };
}

/** Lookups over a scenario document. */
export function indexScenario(doc) {
  const people = new Map(doc.participants.map((p) => [p.id, p]));
  const events = new Map(doc.events.map((e) => [e.id, e]));
  const rooms = new Map(doc.rooms.map((r) => [r.id, r]));
  const zones = doc.zones && doc.zones.length ? doc.zones : [{ id: "main", name: "Main" }];
  const delegations = [...new Set(doc.participants.map((p) => p.delegation))].sort();
  const isVvip = (event) => Boolean(event && event.participants.some((id) => (people.get(id) || {}).tier === "vvip"));
  return { people, events, rooms, zones, delegations, isVvip };
}

// The time scale: by default a day fits the window (the hours share the width left of the room names, so the
// scale follows the window: 08:00-18:00 whole at 1366 px and at 1920 px); the planner may choose a fixed
// scale instead (the grid then scrolls sideways). Below FIT_MIN_HOUR_PX an hour would be unreadable: the
// fitted grid stops shrinking there and scrolls.
const GRID_LABEL_PX = 172;
const FIT_MIN_HOUR_PX = 80;
export const ZOOMS = [["fit", "Fit the day to the window"], ["120", "120 px per hour"], ["170", "170 px per hour"],
  ["240", "240 px per hour"], ["360", "360 px per hour"]];
const ZOOM_KEY = "summit.zoom";

/** The planner's time scale ("fit" or pixels per hour), kept in this browser. */
export function currentZoom() {
  const stored = localStorage.getItem(ZOOM_KEY);
  return ZOOMS.some(([value]) => value === stored) ? stored : "fit";
}

/** Size every day's grid for ``zoom``: "fit" fills the window's width, a number is pixels per hour. */
export function applyZoom(root, zoom) {
  for (const grid of $$(".grid[data-hours]", root)) {
    const hours = Number(grid.dataset.hours);
    if (zoom === "fit") {
      grid.style.width = "100%";
      grid.style.minWidth = `${GRID_LABEL_PX + hours * FIT_MIN_HOUR_PX}px`;
    } else {
      const width = `${GRID_LABEL_PX + hours * Number(zoom)}px`;
      grid.style.width = width;
      grid.style.minWidth = width;
    }
    grid.dataset.zoom = zoom;
  }
}

const DIFF_LABELS = { moved: "Moved", room: "Room changed", added: "Added", dropped: "Dropped" };
// A badge on the block's second line, before its times: the change never hides the block's label (the first
// line); the legend says which letter is which.
const DIFF_LETTERS = { moved: "M", room: "R", added: "A", dropped: "D" };

/**
 * The HTML of every day's grid (one string per day) for ``tt`` over ``doc``; ``diff`` (optional) marks blocks.
 * Answers {days: [{date, html}], blocks: Map index -> info}.
 */
function buildDays(tt, doc, index, diff) {
  const clock = zoneClock(doc.timezone || "UTC");
  const slot = doc.slot_minutes || 15;
  const marks = new Map();
  const before = new Map();
  if (diff) {
    for (const m of diff.moved) { marks.set(m.event, "moved"); before.set(m.event, m); }
    for (const m of diff.room_changes) { marks.set(m.event, "room"); before.set(m.event, m); }
    for (const a of diff.added) marks.set(a.event, "added");
  }
  const placed = tt.assignments.map((a) => ({ ...a, mark: marks.get(a.event) || "" }));
  if (diff) for (const a of diff.dropped) placed.push({ ...a, mark: "dropped" });
  const byDay = new Map(doc.days.map((d) => [d.date, { day: d, items: [] }]));
  const blocks = [];
  for (const a of placed) {
    const s = clock(a.start), e = clock(a.end);
    if (!byDay.has(s.date)) byDay.set(s.date, { day: { date: s.date, start: "00:00", end: "24:00" }, items: [] });
    const info = { ...a, date: s.date, from: s.minutes, to: e.date === s.date ? e.minutes : 24 * 60,
      before: before.get(a.event), index: blocks.length };
    blocks.push(info);
    byDay.get(s.date).items.push(info);
  }
  const days = [];
  const roomsByZone = index.zones.map((z) => ({ zone: z, rooms: doc.rooms.filter((r) => (r.zone || "main") === z.id) }));
  const orphanRooms = doc.rooms.filter((r) => !index.zones.some((z) => z.id === (r.zone || "main")));
  if (orphanRooms.length) roomsByZone.push({ zone: { id: "other", name: "Other rooms" }, rooms: orphanRooms });
  const knownRooms = new Set(doc.rooms.map((r) => r.id));
  [...byDay.values()].sort((a, b) => (a.day.date < b.day.date ? -1 : 1)).forEach(({ day, items }, dayIndex) => {
    let start = minutesOf(day.start), end = minutesOf(day.end === "00:00" ? "24:00" : day.end);
    for (const it of items) { start = Math.min(start, it.from); end = Math.max(end, it.to); }
    start = Math.floor(start / 60) * 60;
    end = Math.ceil(end / 60) * 60;
    const span = Math.max(end - start, slot);
    const pct = (m) => (((m - start) / span) * 100).toFixed(3);
    const byRoom = new Map();
    for (const it of items) {
      if (!byRoom.has(it.room)) byRoom.set(it.room, []);
      byRoom.get(it.room).push(it);
    }
    const groups = [...roomsByZone];
    const unknown = [...byRoom.keys()].filter((r) => !knownRooms.has(r));
    if (unknown.length) groups.push({ zone: { id: "?", name: "Unknown rooms" }, rooms: unknown.map((id) => ({ id, name: id })) });
    const hours = [];
    for (let m = start; m <= end; m += 60) hours.push(m);
    const head = `<div class="grid-row grid-head" aria-hidden="true"><div class="room-label">Room</div><div class="track">${
      hours.map((m) => `<span class="tick" style="left:${pct(m)}%">${hhmm(m)}</span>`).join("")}</div></div>`;
    const lines = hours.map((m) => `<span class="hour-line" style="left:${pct(m)}%"></span>`).join("");
    let body = "";
    for (const { zone, rooms } of groups) {
      if (!rooms.length) continue;
      body += `<div class="zone-row" data-zone="${esc(zone.id)}"><h4 class="zone-label">${esc(zone.name || zone.id)}</h4></div>`;
      for (const room of rooms) {
        const its = (byRoom.get(room.id) || []).sort((a, b) => a.from - b.from);
        body += `<div class="grid-row" role="group" aria-label="${esc(room.name || room.id)}" data-room="${esc(room.id)}">`
          + `<div class="room-label"><span class="room-name">${esc(room.name || room.id)}</span>`
          + `<span class="room-meta">${room.capacity ? `${room.capacity} seats` : ""}${
            room.security_level ? ` · L${room.security_level}` : ""}</span></div><div class="track">${lines}`;
        body += closedHtml(room, day.date, start, end, clock, pct);
        for (const it of its) body += blockHtml(it, index, pct);
        body += "</div></div>";
      }
    }
    const total = items.filter((i) => i.mark !== "dropped").length;
    days.push({ date: day.date, count: total, html:
      `<section class="day" aria-labelledby="day-${dayIndex}" data-date="${esc(day.date)}"><h3 id="day-${dayIndex}">${
        esc(dateLabel(day.date))} <span class="day-count" data-total="${total}">${total} events</span></h3>
        <div class="grid-scroll"><div class="grid" data-hours="${Math.ceil(span / 60)}">${
          head}${body}</div></div></section>` });
  });
  return { days, blocks };
}

/** The room's closures on this day (H4), drawn as hatched spans under the events. */
function closedHtml(room, date, start, end, clock, pct) {
  let out = "";
  for (const w of room.unavailable || []) {
    const from = localClock(w.start, clock), to = localClock(w.end, clock);
    if (from.date > date || to.date < date) continue;
    const a = Math.max(from.date < date ? 0 : from.minutes, start);
    const b = Math.min(to.date > date ? 24 * 60 : to.minutes, end);
    if (b <= a) continue;
    const label = `Closed ${hhmm(a)}–${hhmm(b)}${w.reason ? ` (${w.reason})` : ""}`;
    out += `<span class="closed" role="img" aria-label="${esc(label)}" title="${esc(label)}" style="left:${pct(a)}%;width:${
      (Number(pct(b)) - Number(pct(a))).toFixed(3)}%"><span class="closed-text">${esc(label)}</span></span>`;
  }
  return out;
}

/** An instant with an offset read in the summit's zone; one without (as a planner typed it) is already local. */
function localClock(iso, clock) {
  if (/(Z|[+-]\d\d:?\d\d)$/i.test(iso)) return clock(iso);
  return { date: iso.slice(0, 10), minutes: minutesOf(iso.slice(11, 16) || "00:00") };
}

/** What a block shows: a meeting of delegations by their codes ("AUS-ISR", on two lines "AUS-" "ISR" when the
 * block is narrow), anything else by its title (two lines at most). */
function blockLabel(event, dels, title) {
  if (event && event.kind === "bilateral" && dels.length >= 2) return dels.join("-");
  return title;
}

function blockHtml(it, index, pct) {
  const event = index.events.get(it.event);
  const kind = event ? event.kind : "other";
  const vvip = index.isVvip(event);
  const people = event ? event.participants : [];
  const dels = [...new Set(people.map((p) => (index.people.get(p) || {}).delegation).filter(Boolean))];
  const title = event && event.title ? event.title : it.event;
  const width = Math.max(Number(pct(it.to)) - Number(pct(it.from)), 0.4).toFixed(3);
  const classes = `ev kind-${kind}${vvip ? " vvip" : ""}${it.mark ? ` diff-${it.mark}` : ""}`;
  const label = blockLabel(event, dels, title);
  const when = `${hhmm(it.from)}–${hhmm(it.to)}`;
  // The full title (and the change) on hover and for screen readers; the block itself shows the short label.
  const full = `${it.mark ? `${DIFF_LABELS[it.mark]}: ` : ""}${title}${label !== title ? ` (${dels.join(", ")})` : ""} · ${when}`;
  return `<button type="button" class="${classes}" data-i="${it.index}" data-event="${esc(it.event)}" data-kind="${
    esc(kind)}" data-room="${esc(it.room)}" data-people=" ${esc(people.join(" "))} " data-dels=" ${esc(dels.join(" "))} "`
    + ` data-date="${esc(it.date)}" style="left:${pct(it.from)}%;width:${width}%" title="${esc(full)}" aria-label="${
      esc(`${vvip ? "VVIP: " : ""}${full}`)}">`
    + `<span class="ev-title">${label !== title ? esc(label).replaceAll("-", "-<wbr>") : esc(label)}</span>`
    + `<span class="ev-time">${vvip ? `<span class="vvip-mark" aria-hidden="true">★</span>` : ""}${
      it.mark ? `<span class="diff-tag" aria-hidden="true">${DIFF_LETTERS[it.mark]}</span>` : ""}${when}</span></button>`;
}

function detailsHtml(info, index, doc) {
  const event = index.events.get(info.event) || { title: info.event, kind: "other", participants: [] };
  const room = index.rooms.get(info.room) || { id: info.room, name: info.room };
  const zone = index.zones.find((z) => z.id === (room.zone || "main"));
  const vvip = index.isVvip(event);
  const clock = zoneClock(doc.timezone || "UTC");
  const before = info.before;
  const roomName = (id) => (index.rooms.get(id) || { name: id }).name || id;
  return html`
    <h2 id="details-title">${vvip ? html`<span class="vvip-mark" aria-hidden="true">★</span> ` : ""}${event.title || info.event}</h2>
    <dl class="facts">
      <dt>Event</dt><dd><code>${info.event}</code> · ${kindLabel(event.kind)}${vvip ? " · VVIP (head of state or government)" : ""}</dd>
      <dt>When</dt><dd>${dateLabel(info.date)}, ${hhmm(info.from)}–${hhmm(info.to)} (${doc.timezone || "UTC"})</dd>
      <dt>Room</dt><dd>${room.name || room.id}${zone ? ` · ${zone.name || zone.id}` : ""}${
        room.capacity ? ` · ${room.capacity} seats` : ""}</dd>
      ${info.mark ? html`<dt>Change</dt><dd class="diff-text">${DIFF_LABELS[info.mark]}${before ? html` — was ${
        clock(before.old_start).date} ${hhmm(clock(before.old_start).minutes)} in ${roomName(before.old_room)}` : ""}${
        info.mark === "dropped" ? " — no longer scheduled (shown at its old place)" : ""}</dd>` : ""}
      <dt>Participants (${event.participants.length})</dt>
      <dd><ul class="people">${event.participants.map((id) => {
        const p = index.people.get(id) || { id, name: id };
        return html`<li>${p.name || p.id} <span class="muted">${p.delegation || ""}${p.tier && p.tier !== "standard"
          ? ` · ${p.tier.toUpperCase()}` : ""}${p.role ? ` · ${p.role}` : ""}</span></li>`;
      })}</ul></dd>
    </dl>`;
}

/** The timetable's unscheduled requests grouped by cause, the largest group first, each group folded with its
 * requests under it: the API's ``unscheduled_groups`` (solver/reasons.py), or, from a server without them, the
 * requests of the same reason together. */
export function unscheduledGroups(tt) {
  if (Array.isArray(tt.unscheduled_groups)) return tt.unscheduled_groups;
  const groups = new Map();
  for (const u of tt.unscheduled) groups.set(u.reason, [...(groups.get(u.reason) || []), u.event]);
  return [...groups.entries()].map(([cause, events]) => ({ cause, count: events.length, events }))
    .sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
}

function unscheduledHtml(tt, index) {
  if (!tt.unscheduled.length) return html`<p class="empty">Every request is scheduled.</p>`;
  const reasons = new Map(tt.unscheduled.map((u) => [u.event, u.reason]));
  const groups = unscheduledGroups(tt);
  return html`<p class="muted">${groups.length} cause(s), the most common first; open one for its requests.</p>
    <ul class="cause-groups">${groups.map((g) => html`<li><details class="cause-group" data-count="${g.count}">
      <summary><strong class="cause-count">${g.count} request${g.count === 1 ? "" : "s"}</strong>: <span class="cause">${
        g.cause}</span></summary>
      <ul class="unscheduled">${g.events.map((id) => html`<li data-event="${id}">
        <strong>${(index.events.get(id) || {}).title || id}</strong> <code>${id}</code>
        <span class="reason">${reasons.get(id) || ""}</span></li>`)}</ul></details></li>`)}</ul>`;
}

const LEGEND = html`<ul class="legend kinds" aria-label="Legend">
  <li><span class="swatch kind-high_level" aria-hidden="true"></span>High-level</li>
  <li><span class="swatch kind-round_table" aria-hidden="true"></span>Round table</li>
  <li><span class="swatch kind-bilateral" aria-hidden="true"></span>Bilateral</li>
  <li><span class="swatch kind-other" aria-hidden="true"></span>Other</li>
  <li><span class="vvip-mark" aria-hidden="true">★</span> VVIP attends</li>
  <li><span class="swatch closed-swatch" aria-hidden="true"></span>Room closed</li>
  <li class="muted">Bilaterals show the two delegations (e.g. AUS-ISR); hover for the full title.
    Times are 24-hour, in the summit's time zone.</li></ul>`;

const DIFF_LEGEND = html`<ul class="legend diffs" aria-label="Changes legend">
  <li><span class="swatch diff-moved" aria-hidden="true">M</span>Moved (new time)</li>
  <li><span class="swatch diff-room" aria-hidden="true">R</span>Room changed</li>
  <li><span class="swatch diff-added" aria-hidden="true">A</span>Added</li>
  <li><span class="swatch diff-dropped" aria-hidden="true">D</span>Dropped (dashed, at its old place)</li></ul>`;

export async function timetableView(main, [tid, fromId], ctx) {
  const [loaded, diff] = await Promise.all([
    loadTimetable(tid, ctx.signal),
    fromId ? api(`/timetables/${encodeURIComponent(fromId)}/diff/${encodeURIComponent(tid)}`, { signal: ctx.signal })
      : Promise.resolve(null)]);
  const t0 = performance.now();
  const { tt, doc, scenario, summary } = loaded;
  const index = indexScenario(doc);
  const { days, blocks } = buildDays(tt, doc, index, diff);
  const shortened = diff ? diff.shortened || [] : [];
  const lengthened = diff ? diff.lengthened || [] : [];
  const changed = diff ? diff.moved.length + diff.room_changes.length + diff.added.length + diff.dropped.length
    + shortened.length + lengthened.length : 0;
  const sid = encodeURIComponent(tt.scenario_id);
  const kinds = [...new Set(doc.events.map((e) => e.kind))];
  render(main, html`
    <p class="crumbs"><a href="#/scenarios">Scenarios</a> › <a href="#/scenarios/${sid}">${scenario.name}</a> ›</p>
    <h1>${diff ? "Changes: " : "Timetable "}<code>${tt.id}</code></h1>
    <p class="meta"><span class="status status-${tt.status}">${tt.status}</span> · objective ${tt.objective}${
      tt.bound !== undefined && tt.bound !== null ? ` (bound ${tt.bound})` : ""} · ${tt.assignments.length} scheduled ·
      ${tt.unscheduled.length} unscheduled · version ${summary ? summary.scenario_version : "?"}${
      summary && summary.parent_timetable_id ? html` · re-plan of <a href="#/timetables/${
        encodeURIComponent(summary.parent_timetable_id)}">${summary.parent_timetable_id}</a>` : ""}</p>
    <div id="publication"></div>
    <div class="toolbar">
      ${ctx.canWrite ? html`<a class="button primary" href="#/timetables/${encodeURIComponent(tt.id)}/changes">Enter a change and re-plan</a>` : ""}
      <button type="button" data-download="/timetables/${encodeURIComponent(tt.id)}?format=csv" data-name="timetable-${tt.id}.csv">Download CSV</button>
      <button type="button" data-download="/timetables/${encodeURIComponent(tt.id)}?format=ics" data-name="timetable-${tt.id}.ics">Download .ics (all)</button>
      <form id="agenda-form" class="inline-form">
        <label for="agenda-delegation">Delegation agenda</label>
        <select id="agenda-delegation" name="code">${index.delegations.map((d) => html`<option>${d}</option>`)}</select>
        <button type="submit">Open agenda</button>
      </form>
    </div>
    ${diff ? html`<section class="card diff-summary" aria-labelledby="diff-title">
      <h2 id="diff-title">What changed since <a href="#/timetables/${encodeURIComponent(fromId)}">${fromId}</a></h2>
      <p id="diff-text" role="status">${changed ? `${diff.moved.length} moved, ${diff.room_changes.length} room changes, ${
        diff.added.length} added, ${diff.dropped.length} dropped, ${shortened.length ? `${shortened.length} shortened (${
        shortened.map((s) => `${s.event} by ${s.shortened_minutes} min`).join(", ")}), ` : ""}${lengthened.length
        ? `${lengthened.length} longer (${lengthened.map((g) => `${g.event} by ${g.lengthened_minutes} min`).join(", ")}), `
        : ""}${diff.unchanged} unchanged.`
        : `No changes: all ${diff.unchanged} events keep their room and time.`}</p>
      ${DIFF_LEGEND}
      <details class="notify" ${Object.keys(diff.by_delegation).length <= 8 ? "open" : ""}>
        <summary>Who to tell: ${Object.keys(diff.by_delegation).length} delegation(s)</summary>
        <div class="notify-list">${Object.entries(diff.by_delegation).map(([code, lines]) => html`
          <section class="notify-item" aria-label="Notifications for ${code}"><h3>${code}
            <button type="button" class="small" data-download="/timetables/${encodeURIComponent(tt.id)}/delegations/${
              encodeURIComponent(code)}?format=ics" data-name="agenda-${code}.ics">Agenda .ics</button>
            <a class="small" href="#/agenda/${encodeURIComponent(tt.id)}/${encodeURIComponent(code)}">view</a></h3>
            <ul>${lines.map((line) => html`<li>${line}</li>`)}</ul></section>`)}</div>
      </details>
    </section>` : ""}
    <form id="filters" class="filters" aria-label="Filters">
      <div class="field"><label for="f-delegation">Delegation</label>
        <select id="f-delegation" name="delegation"><option value="">All</option>${
          index.delegations.map((d) => html`<option>${d}</option>`)}</select></div>
      <div class="field"><label for="f-participant">Participant</label>
        <select id="f-participant" name="participant"><option value="">All</option>${
          [...doc.participants].sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id)).map((p) =>
            html`<option value="${p.id}">${p.name || p.id} (${p.delegation})</option>`)}</select></div>
      <div class="field"><label for="f-room">Room</label>
        <select id="f-room" name="room"><option value="">All</option>${doc.rooms.map((r) =>
          html`<option value="${r.id}">${r.name || r.id}</option>`)}</select></div>
      <div class="field"><label for="f-kind">Kind</label>
        <select id="f-kind" name="kind"><option value="">All</option>${kinds.map((k) =>
          html`<option value="${k}">${kindLabel(k)}</option>`)}</select></div>
      ${diff ? html`<div class="field check"><input id="f-changed" name="changed" type="checkbox">
        <label for="f-changed">Changed only</label></div>` : ""}
      <button type="reset">Clear filters</button>
      <p id="filter-count" class="filter-count" aria-live="polite"></p>
    </form>
    <div class="grid-tools">${LEGEND}
      <div class="field zoom"><label for="zoom">Time scale</label>
        <select id="zoom" name="zoom">${ZOOMS.map(([value, label]) =>
          html`<option value="${value}" ${value === currentZoom() ? "selected" : ""}>${label}</option>`)}</select></div></div>
    <p class="hint">Tab or arrow keys move between events; Enter opens the details, Escape closes them.</p>
    <div id="days" class="days"></div>
    <section class="card" aria-labelledby="unscheduled-title">
      <h2 id="unscheduled-title">Unscheduled requests (${tt.unscheduled.length})</h2>
      ${unscheduledHtml(tt, index)}
      ${tt.diagnostics && tt.diagnostics.length ? html`<h3>Diagnostics</h3><ul>${tt.diagnostics.map((d) =>
        html`<li><code>${d.code}</code> ${d.message}</li>`)}</ul>` : ""}
    </section>
    <dialog id="event-details" aria-labelledby="details-title">
      <div id="details-body"></div>
      <form method="dialog"><button type="submit" class="primary" id="details-close">Close</button></form>
    </dialog>`);
  // One DocumentFragment per day from one string each.
  const container = $("#days");
  for (const day of days) {
    const template = document.createElement("template");
    template.innerHTML = day.html;
    container.append(template.content);
  }
  applyZoom(container, currentZoom());
  main.dataset.renderMs = String(Math.round(performance.now() - t0));
  $("#zoom").addEventListener("change", (event) => {
    localStorage.setItem(ZOOM_KEY, event.target.value);
    applyZoom(container, event.target.value);
    announce(`Time scale: ${event.target.selectedOptions[0].textContent}`);
  });
  wireGrid(main, blocks, index, doc, diff);
  wireDownloads(main);
  publicationPanel($("#publication"), tt, ctx).catch(() => {});
  $("#agenda-form").addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/agenda/${encodeURIComponent(tt.id)}/${encodeURIComponent(event.target.code.value)}`;
  });
  if (diff) announce($("#diff-text").textContent);
}

/** Clicks and keys on blocks (details dialog, arrow navigation) and the filters. */
function wireGrid(main, blocks, index, doc, diff) {
  const dialog = $("#event-details", main);
  let opener = null;
  const open = (button) => {
    opener = button;
    render($("#details-body", dialog), detailsHtml(blocks[Number(button.dataset.i)], index, doc));
    dialog.showModal();
    $("#details-close", dialog).focus();
  };
  dialog.addEventListener("close", () => { if (opener && opener.isConnected) opener.focus(); });
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  const days = $("#days", main);
  days.addEventListener("click", (event) => {
    const button = event.target.closest("button.ev");
    if (button) open(button);
  });
  days.addEventListener("keydown", (event) => {
    const button = event.target.closest("button.ev");
    if (!button) return;
    const visible = (el) => !el.classList.contains("filtered-out") && !el.closest(".grid-row").hidden;
    let target = null;
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      const row = $$("button.ev", button.parentElement).filter(visible);
      target = row[row.indexOf(button) + (event.key === "ArrowRight" ? 1 : -1)];
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const rows = $$(".grid-row:not(.grid-head)", button.closest(".grid")).filter((r) => !r.hidden);
      let i = rows.indexOf(button.closest(".grid-row"));
      const left = button.getBoundingClientRect().left;
      for (i += event.key === "ArrowDown" ? 1 : -1; i >= 0 && i < rows.length && !target; i += event.key === "ArrowDown" ? 1 : -1) {
        const candidates = $$("button.ev", rows[i]).filter(visible);
        if (candidates.length) {
          target = candidates.reduce((best, el) => (Math.abs(el.getBoundingClientRect().left - left)
            < Math.abs(best.getBoundingClientRect().left - left) ? el : best));
        }
      }
    } else if (event.key === "Home" || event.key === "End") {
      const row = $$("button.ev", button.parentElement).filter(visible);
      target = event.key === "Home" ? row[0] : row[row.length - 1];
    }
    if (target) { event.preventDefault(); target.focus(); }
  });
  const form = $("#filters", main);
  const all = $$("button.ev", days);
  const rows = $$(".grid-row[data-room]", days);
  const count = $("#filter-count", form);
  const apply = () => {
    const f = Object.fromEntries(new FormData(form));
    let shown = 0;
    for (const el of all) {
      const ok = (!f.delegation || el.dataset.dels.includes(` ${f.delegation} `))
        && (!f.participant || el.dataset.people.includes(` ${f.participant} `))
        && (!f.kind || el.dataset.kind === f.kind)
        && (!f.room || el.dataset.room === f.room)
        && (!f.changed || /\bdiff-/.test(el.className));
      el.classList.toggle("filtered-out", !ok);
      if (ok && !el.classList.contains("diff-dropped")) shown += 1;
    }
    const narrowed = Boolean(f.delegation || f.participant || f.kind || f.changed);
    for (const row of rows) {
      row.hidden = (Boolean(f.room) && row.dataset.room !== f.room)
        || (narrowed && !row.querySelector("button.ev:not(.filtered-out)"));
    }
    const total = all.filter((el) => !el.classList.contains("diff-dropped")).length;
    count.textContent = shown === total ? `${total} events` : `${shown} of ${total} events shown`;
    for (const section of $$("section.day", days)) {  // each day's total follows the filters too
      const badge = $(".day-count", section);
      const dayShown = $$("button.ev:not(.filtered-out):not(.diff-dropped)", section).length;
      badge.textContent = dayShown === Number(badge.dataset.total) ? `${dayShown} events`
        : `${dayShown} of ${badge.dataset.total} events shown`;
    }
  };
  form.addEventListener("change", apply);
  form.addEventListener("reset", () => setTimeout(apply, 0));
  apply();
  void diff;
}

/** Buttons with data-download fetch the file with the key and save it. */
export function wireDownloads(root) {
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-download]");
    if (!button) return;
    button.disabled = true;
    try {
      const name = await download(button.dataset.download, button.dataset.name || "download");
      announce(`Downloaded ${name}`);
    } catch (error) {
      announce(`Download failed: ${error.message}`);
      alert(`Download failed: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  });
}
