// A delegation's agenda (the only view of a liaison key): its events by day, members, .ics downloads.

import { api } from "./api.js";
import { wireDownloads } from "./grid.js";
import { $, dateLabel, html, kindLabel, render } from "./util.js";

const LAST = "summit.lastTimetable";

function chooser(main, ctx, tid, message = "") {
  const liaison = ctx.me.role === "liaison";
  render(main, html`
    <h1>${liaison ? `Agenda of ${ctx.me.delegation}` : "Delegation agendas"}</h1>
    <section class="card" aria-labelledby="choose-title">
      <h2 id="choose-title">Which timetable?</h2>
      <p>Enter the timetable id the planners sent you${liaison ? "" : " and a delegation code"}.</p>
      <form id="agenda-choose" class="row-form">
        <div class="field"><label for="agenda-tid">Timetable id</label>
          <input id="agenda-tid" name="tid" type="text" required spellcheck="false" value="${tid || ""}"></div>
        ${liaison ? "" : html`<div class="field"><label for="agenda-code">Delegation code</label>
          <input id="agenda-code" name="code" type="text" required spellcheck="false" autocapitalize="characters"></div>`}
        <button type="submit" class="primary">Show agenda</button>
      </form>
      <p class="field-error" role="alert">${message}</p>
    </section>`);
  $("#agenda-choose").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const code = liaison ? ctx.me.delegation : f.code.value.trim();
    location.hash = `#/agenda/${encodeURIComponent(f.tid.value.trim())}/${encodeURIComponent(code)}`;
  });
}

export async function agendaView(main, [tid, code], ctx) {
  const liaison = ctx.me.role === "liaison";
  if (liaison) code = ctx.me.delegation;
  if (!tid || !code) { chooser(main, ctx, tid || sessionStorage.getItem(LAST) || ""); return; }
  let agenda;
  try {
    agenda = await api(`/timetables/${encodeURIComponent(tid)}/delegations/${encodeURIComponent(code)}`,
      { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    chooser(main, ctx, tid, error.status === 404 ? `No such timetable or delegation (${error.message}).` : error.message);
    return;
  }
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
    <h1>Agenda of ${code}</h1>
    <p class="meta">Timetable <code>${tid}</code> · ${agenda.items.length} event(s) · ${agenda.participants.length} member(s)
      ${liaison ? html` · <a href="#/agenda">another timetable</a>` : ""}</p>
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
            <span class="where">${item.room_name}${item.zone ? ` · ${item.zone}` : ""}</span><br>
            <span class="who">${item.participants.map((id) => (names.get(id) || { name: id }).name || id).join(", ")}${
              item.other_participants ? ` + ${item.other_participants} other participant(s)` : ""}</span></span>
        </li>`)}</ol>
      </section>`) : html`<p class="empty">No event of this delegation is scheduled in this timetable.</p>`}`);
  wireDownloads(main);
}
