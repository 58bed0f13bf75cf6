// A delegation's agenda (the only view of a liaison key): its events by day, members, .ics downloads.

import { api } from "./api.js";
import { wireDownloads } from "./grid.js";
import { $, dateLabel, html, kindLabel, render } from "./util.js";

const LAST = "summit.lastTimetable";

/** A liaison's landing: one button to its delegation's agenda in the current (published) plan of its summit (the
 * newest one when it takes part in several; the others are listed under it as links). */
function liaisonLanding(summits, code, message) {
  const newest = [...summits].sort((a, b) => (b.created_at || "").localeCompare(a.created_at || ""));
  const [current, ...others] = newest;
  const href = (s) => `#/agenda/${encodeURIComponent(s.current_timetable_id)}/${encodeURIComponent(code)}`;
  return html`
    <h1>Agenda of ${code}</h1>
    ${current ? html`<section class="card landing" aria-labelledby="landing-title">
      <h2 id="landing-title">${current.name}</h2>
      <p>The plan published to delegations${current.created_at ? `, made ${
        current.created_at.slice(0, 16).replace("T", " ")} UTC` : ""}: your delegation's meetings, times and rooms.</p>
      <a class="button primary big" id="current-agenda" href="${href(current)}">Open the current agenda</a>
      ${others.length ? html`<p class="muted">Your delegation's other summits:</p><ul class="summits">${others.map((s) =>
        html`<li><a href="${href(s)}">${s.name}: the current agenda</a></li>`)}</ul>` : ""}
    </section>` : html`<p class="empty">No plan of a summit of ${code} is published yet.</p>`}
    <p class="field-error" role="alert">${message}</p>`;
}

/** The summits the key may read and each one's current timetable, by name: nobody pastes an id. */
async function chooser(main, ctx, tid, message = "") {
  const liaison = ctx.me.role === "liaison";
  let summits = [];
  try {
    summits = (await api("/summits", { signal: ctx.signal })).filter((s) => s.current_timetable_id);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    message = message || error.message;
  }
  if (liaison) { render(main, liaisonLanding(summits, ctx.me.delegation, message)); return; }
  render(main, html`
    <h1>Delegation agendas</h1>
    <section class="card" aria-labelledby="summits-title">
      <h2 id="summits-title">Current timetables</h2>
      ${summits.length ? html`<ul class="summits">${summits.map((s) => html`<li>
        <strong>${s.name}</strong> <span class="muted">(current timetable <code>${s.current_timetable_id}</code>)</span>
        <form class="inline-form summit-agenda" data-tid="${s.current_timetable_id}">
          <label for="code-${s.scenario_id}">Delegation</label>
          <select id="code-${s.scenario_id}" name="code">${s.delegations.map((d) => html`<option>${d}</option>`)}</select>
          <button type="submit">Open agenda</button></form>
        <span class="muted">${s.status}, made ${s.created_at ? `${s.created_at.slice(0, 16).replace("T", " ")} UTC` : ""}</span>
      </li>`)}</ul>` : html`<p class="empty">No summit has a published timetable yet.</p>`}
    </section>
    <details class="card" ${tid || message ? "open" : ""}>
      <summary>Another timetable, by its id</summary>
      <form id="agenda-choose" class="row-form">
        <div class="field"><label for="agenda-tid">Timetable id</label>
          <input id="agenda-tid" name="tid" type="text" required spellcheck="false" value="${tid || ""}"></div>
        <div class="field"><label for="agenda-code">Delegation code</label>
          <input id="agenda-code" name="code" type="text" required spellcheck="false" autocapitalize="characters"></div>
        <button type="submit">Show agenda</button>
      </form>
    </details>
    <p class="field-error" role="alert">${message}</p>`);
  $("#agenda-choose").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = event.target.elements;
    location.hash = `#/agenda/${encodeURIComponent(f.tid.value.trim())}/${encodeURIComponent(f.code.value.trim())}`;
  });
  for (const form of main.querySelectorAll("form.summit-agenda")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      location.hash = `#/agenda/${encodeURIComponent(form.dataset.tid)}/${encodeURIComponent(form.elements.code.value)}`;
    });
  }
}

// A counterpart as the API describes it, "FRA: Minister": grouped by role when a meeting has many of them.
const ROLE_GROUPS = [
  ["Heads of state or government", /head of (state|government)|^president\b|prime minister|^(king|queen|emir)\b/i],
  ["Deputy and vice-ministers", /(deputy|vice)[- ]minister/i],
  ["Ministers", /minister/i],
  ["Heads of organisations", /secretary-general|head of agency|executive director|director-general/i],
  ["Experts", /expert/i],
];
const OTHER_GROUP = "Other officials";
const ONE = { "Heads of state or government": "head of state or government", "Deputy and vice-ministers":
  "deputy or vice-minister", Ministers: "minister", "Heads of organisations": "head of an organisation",
  Experts: "expert", [OTHER_GROUP]: "other official" };
const GROUP_FROM = 7;  // fewer counterparts read well in one line

/** [group, [{delegation, role}]] in ROLE_GROUPS' order, the other officials last. */
export function counterpartGroups(counterparts) {
  const groups = new Map([...ROLE_GROUPS.map(([name]) => [name, []]), [OTHER_GROUP, []]]);
  for (const text of counterparts) {
    const cut = text.indexOf(": ");
    const delegation = cut < 0 ? "?" : text.slice(0, cut), role = cut < 0 ? text : text.slice(cut + 2);
    const found = ROLE_GROUPS.find(([, pattern]) => pattern.test(role));
    groups.get(found ? found[0] : OTHER_GROUP).push({ delegation, role });
  }
  return [...groups.entries()].filter(([, members]) => members.length);
}

/** The counterparts of an agenda item: in one line when few, else by role, collapsed under a one-line count. */
function counterpartsHtml(item) {
  const counterparts = item.counterparts || [];
  if (!counterparts.length) return item.other_participants ? ` + ${item.other_participants} other participant(s)` : "";
  if (counterparts.length < GROUP_FROM) return html` <span class="counterparts">with ${counterparts.join("; ")}</span>`;
  const groups = counterpartGroups(counterparts);
  return html`<details class="counterparts by-role"><summary>with ${counterparts.length} counterparts: ${
    groups.map(([name, members]) => `${members.length} ${members.length === 1 ? ONE[name] : name.toLowerCase()}`).join(", ")}</summary>
    <dl>${groups.map(([name, members]) => html`<div class="role-group"><dt>${name} (${members.length})</dt><dd>${
      members.map((m, i) => html`${i ? ", " : ""}<span title="${m.role}">${m.delegation}</span>`)}</dd></div>`)}</dl>
  </details>`;
}

/** A liaison's calendar subscriptions: secret URLs that always serve the summit's current timetable. */
async function feedsHtml(ctx, scenarioId) {
  if (ctx.me.role !== "liaison") return "";
  let feeds;
  try {
    feeds = await api("/feeds/me", { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return "";
  }
  const feed = feeds.feeds.find((f) => f.scenario_id === scenarioId);
  if (!feed) return "";
  return html`<details class="card feeds">
    <summary><h2 class="inline" id="feeds-title">Subscribe in a calendar application</h2></summary>
    <p>Add these addresses as calendar subscriptions: they always show the current timetable, so your calendar
      follows every re-plan (moved meetings update, cancelled ones are marked cancelled). Keep them private:
      anyone with the address can read the calendar.</p>
    <p><strong>Delegation ${feeds.delegation}</strong><br><span class="feed-url" data-feed="delegation">${feed.delegation}</span></p>
    <ul>${feed.participants.map((p) => html`<li>${p.name}<br><span class="feed-url">${p.url}</span></li>`)}</ul>
  </details>`;
}

export async function agendaView(main, [tid, code], ctx) {
  const liaison = ctx.me.role === "liaison";
  if (liaison) code = ctx.me.delegation;
  if (!tid || !code) { await chooser(main, ctx, tid || sessionStorage.getItem(LAST) || ""); return; }
  let agenda;
  try {
    agenda = await api(`/timetables/${encodeURIComponent(tid)}/delegations/${encodeURIComponent(code)}`,
      { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    await chooser(main, ctx, tid, error.status === 404 ? `No such timetable or delegation (${error.message}).`
      : error.message);
    return;
  }
  const feeds = await feedsHtml(ctx, agenda.scenario_id);
  sessionStorage.setItem(LAST, tid);
  const names = new Map(agenda.participants.map((p) => [p.id, p]));
  const days = new Map();
  for (const item of agenda.items) {
    const date = item.start.slice(0, 10);
    if (!days.has(date)) days.set(date, []);
    days.get(date).push(item);
  }
  const base = `/timetables/${encodeURIComponent(tid)}`;
  render(main, html`
    ${liaison ? "" : html`<p class="crumbs"><a href="#/timetables/${encodeURIComponent(tid)}">Timetable ${tid}</a> ›</p>`}
    <h1>Agenda of ${code}${agenda.summit ? ` · ${agenda.summit}` : ""}</h1>
    ${agenda.superseded_by ? html`<p class="notice superseded" role="status" id="superseded">This timetable has been
      superseded by a newer one (a re-plan): <a href="#/agenda/${encodeURIComponent(agenda.superseded_by)}/${
        encodeURIComponent(code)}">open the current timetable ${agenda.superseded_by}</a>.</p>` : ""}
    <p class="meta">Timetable <code>${tid}</code> · ${agenda.items.length} event(s) · ${agenda.participants.length} member(s)
      · times in ${agenda.timezone || "the summit's time zone"}, 24-hour
      · <a href="#/agenda">${liaison ? "the current timetable" : "other agendas"}</a></p>
    <div class="toolbar">
      <button type="button" class="primary" data-download="${base}/delegations/${encodeURIComponent(code)}?format=ics"
        data-name="agenda-${code}.ics">Download the delegation's agenda (.ics)</button>
    </div>
    <details class="card members-box">
      <summary><h2 id="members-title" class="inline">Members (${agenda.participants.length}) and their agendas</h2></summary>
      <ul class="members">${agenda.participants.map((p) => html`<li>
        <span>${p.name || p.id}${p.tier && p.tier !== "standard" ? html` <span class="tier">${p.tier.toUpperCase()}</span>` : ""}
        <span class="muted">${p.role || ""}</span></span>
        <button type="button" class="small" data-download="${base}/participants/${encodeURIComponent(p.id)}?format=ics"
          data-name="agenda-${p.id}.ics" aria-label="Download the agenda of ${p.name || p.id} (.ics)">.ics</button></li>`)}
      </ul>
    </details>
    ${agenda.items.length ? [...days.entries()].map(([date, items]) => html`
      <section class="agenda-day" aria-labelledby="ad-${date}">
        <h2 id="ad-${date}">${dateLabel(date)}</h2>
        <ol class="agenda">${items.map((item) => html`<li class="agenda-item kind-${item.kind}" data-event="${item.event}">
          <span class="time">${item.start.slice(11, 16)}–${item.end.slice(11, 16)}</span>
          <span class="what"><strong>${item.title}</strong> <span class="kind-tag">${kindLabel(item.kind)}</span><br>
            <span class="where">${item.room_name}${item.zone_name || item.zone ? ` · ${item.zone_name || item.zone}` : ""}</span><br>
            <span class="who">${item.participants.map((id) => (names.get(id) || { name: id }).name || id).join(", ")}${
              counterpartsHtml(item)}</span></span>
        </li>`)}</ol>
      </section>`) : html`<p class="empty">No event of this delegation is scheduled in this timetable.</p>`}
    <section class="card" aria-labelledby="refused-title">
      <h2 id="refused-title">Requests not scheduled (${(agenda.refused || []).length})</h2>
      ${(agenda.refused || []).length ? html`<ul class="refused">${agenda.refused.map((r) => html`<li data-event="${r.event}">
        <strong>${r.title}</strong>${r.with.length ? ` with ${r.with.join("; ")}` : ""}
        <span class="reason">${r.reason}</span></li>`)}</ul>`
        : html`<p class="empty">Every request of this delegation is scheduled.</p>`}
    </section>
    ${feeds}`);
  wireDownloads(main);
}
