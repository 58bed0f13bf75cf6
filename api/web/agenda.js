// A delegation's agenda (the only view of a liaison key): its events by day, members, .ics downloads.

import { api } from "./api.js";
import { wireDownloads } from "./grid.js";
import { $, dateLabel, html, kindLabel, render } from "./util.js";

const LAST = "summit.lastTimetable";

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
  const code = liaison ? ctx.me.delegation : "";
  render(main, html`
    <h1>${liaison ? `Agenda of ${ctx.me.delegation}` : "Delegation agendas"}</h1>
    <section class="card" aria-labelledby="summits-title">
      <h2 id="summits-title">Current timetables</h2>
      ${summits.length ? html`<ul class="summits">${summits.map((s) => html`<li>
        ${liaison ? html`<a class="button primary" href="#/agenda/${encodeURIComponent(s.current_timetable_id)}/${
          encodeURIComponent(code)}">${s.name}: the current timetable</a>`
          : html`<strong>${s.name}</strong> <span class="muted">(current timetable <code>${s.current_timetable_id}</code>)</span>
            <form class="inline-form summit-agenda" data-tid="${s.current_timetable_id}">
              <label for="code-${s.scenario_id}">Delegation</label>
              <select id="code-${s.scenario_id}" name="code">${s.delegations.map((d) => html`<option>${d}</option>`)}</select>
              <button type="submit">Open agenda</button></form>`}
        <span class="muted">${s.status}, made ${s.created_at ? `${s.created_at.slice(0, 16).replace("T", " ")} UTC` : ""}</span>
      </li>`)}</ul>` : html`<p class="empty">No summit has a timetable for ${liaison ? ctx.me.delegation : "you"} yet.</p>`}
    </section>
    <details class="card" ${tid || message ? "open" : ""}>
      <summary>Another timetable, by its id</summary>
      <form id="agenda-choose" class="row-form">
        <div class="field"><label for="agenda-tid">Timetable id</label>
          <input id="agenda-tid" name="tid" type="text" required spellcheck="false" value="${tid || ""}"></div>
        ${liaison ? "" : html`<div class="field"><label for="agenda-code">Delegation code</label>
          <input id="agenda-code" name="code" type="text" required spellcheck="false" autocapitalize="characters"></div>`}
        <button type="submit">Show agenda</button>
      </form>
    </details>
    <p class="field-error" role="alert">${message}</p>`);
  $("#agenda-choose").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const chosen = liaison ? ctx.me.delegation : f.code.value.trim();
    location.hash = `#/agenda/${encodeURIComponent(f.tid.value.trim())}/${encodeURIComponent(chosen)}`;
  });
  for (const form of main.querySelectorAll("form.summit-agenda")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      location.hash = `#/agenda/${encodeURIComponent(form.dataset.tid)}/${encodeURIComponent(form.elements.code.value)}`;
    });
  }
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
              item.counterparts && item.counterparts.length ? html` <span class="counterparts">with ${item.counterparts.join("; ")}</span>`
              : item.other_participants ? ` + ${item.other_participants} other participant(s)` : ""}</span></span>
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
