// The planner's web view: sign-in, navigation by role and the hash router.

import { api, ApiError, clearKey, getKey, setKey, whenUnauthorized } from "./api.js";
import { $, html, render } from "./util.js";
import { scenarioList, scenarioDetail } from "./scenarios.js";
import { jobView } from "./job.js";
import { timetableView } from "./grid.js";
import { changesView } from "./changes.js";
import { agendaView } from "./agenda.js";
import { compareView, comparisonView } from "./compare.js";
import { summitDayView } from "./day.js";

const main = $("#main");
const nav = $("#nav");
const who = $("#who");
let me = null;
let cleanup = null;

const READER_NAV = [["#/scenarios", "Scenarios"], ["#/compare", "Compare"], ["#/agenda", "Agendas"]];
const LIAISON_NAV = [["#/agenda", "Agenda"]];

/** Hash routes: pattern -> view(main, params, ctx). Liaison keys get the agenda routes only. */
const ROUTES = [
  [/^#\/scenarios$/, scenarioList, false],
  [/^#\/scenarios\/([^/]+)$/, scenarioDetail, false],
  [/^#\/jobs\/([^/]+)$/, jobView, false],
  [/^#\/timetables\/([^/]+)$/, timetableView, false],
  // old timetable, then the new one: the API's order (/timetables/{old}/diff/{new})
  [/^#\/timetables\/([^/]+)\/diff\/([^/]+)$/, (main, [oldId, newId], ctx) => timetableView(main, [newId, oldId], ctx), false],
  [/^#\/timetables\/([^/]+)\/changes$/, changesView, false],
  [/^#\/agenda$/, agendaView, true],
  [/^#\/agenda\/([^/]+)$/, agendaView, true],
  [/^#\/agenda\/([^/]+)\/([^/]+)$/, agendaView, true],
  [/^#\/summits\/([^/]+)\/day$/, summitDayView, false],
  [/^#\/compare$/, compareView, false],
  [/^#\/compare\/([^/]+)$/, comparisonView, false],
];

function showSignIn(message = "") {
  me = null;
  nav.hidden = true;
  who.hidden = true;
  render(main, html`
    <section class="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p>Use the API key you were given (it starts with <code>sk_</code>). It is kept in this tab only.</p>
      <form id="signin-form" class="stack">
        <label for="api-key">API key</label>
        <input id="api-key" name="key" type="password" autocomplete="off" required spellcheck="false"
               aria-describedby="signin-error">
        <p id="signin-error" class="field-error" role="alert">${message}</p>
        <button type="submit" class="primary">Sign in</button>
      </form>
    </section>`);
  const form = $("#signin-form");
  $("#api-key").focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = form.key.value.trim();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const answer = await api("/keys/me", { key });
      setKey(key);
      signedIn(answer);
    } catch (error) {
      $("#signin-error").textContent = error instanceof ApiError && error.status === 401
        ? "This key is unknown or revoked." : `Could not sign in: ${error.message}`;
      button.disabled = false;
      $("#api-key").focus();
    }
  });
}

function signedIn(answer) {
  me = answer;
  sessionStorage.setItem("summit.me", JSON.stringify(me));
  const links = me.role === "liaison" ? LIAISON_NAV : READER_NAV;
  render(nav, html`<ul>${links.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}</ul>`);
  nav.hidden = false;
  render(who, html`<span class="role">${me.role}${me.delegation ? ` · ${me.delegation}` : ""}${
    me.label ? ` · ${me.label}` : ""}</span> <button type="button" id="signout" class="link">Sign out</button>`);
  who.hidden = false;
  $("#signout").addEventListener("click", () => { clearKey(); location.hash = ""; showSignIn(); });
  if (!location.hash || location.hash === "#") location.hash = me.role === "liaison" ? "#/agenda" : "#/scenarios";
  else route();
}

function markCurrent() {
  const hash = location.hash;
  for (const link of nav.querySelectorAll("a")) {
    const here = hash === link.getAttribute("href") || hash.startsWith(`${link.getAttribute("href")}/`);
    if (here) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

async function route() {
  if (!me) return;
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  const hash = location.hash || "#/scenarios";
  let found = null;
  for (const [pattern, view, liaisonAllowed] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) { found = { view, params: match.slice(1).map(decodeURIComponent), liaisonAllowed }; break; }
  }
  if (me.role === "liaison" && (!found || !found.liaisonAllowed)) { location.hash = "#/agenda"; return; }
  if (!found) { location.hash = "#/scenarios"; return; }
  markCurrent();
  const controller = new AbortController();
  cleanup = () => controller.abort();
  const ctx = { me, signal: controller.signal, canWrite: me.role === "admin" || me.role === "planner" };
  render(main, html`<p class="loading" role="status">Loading…</p>`);
  try {
    await found.view(main, found.params, ctx);
  } catch (error) {
    if (controller.signal.aborted) return;
    render(main, html`<div class="notice error" role="alert"><h1>Something went wrong</h1>
      <p>${error instanceof ApiError ? `${error.status} ${error.code}: ` : ""}${error.message}</p></div>`);
  }
  const heading = main.querySelector("h1");
  if (heading && !main.contains(document.activeElement)) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

whenUnauthorized(() => { clearKey(); showSignIn("Your key is no longer accepted; sign in again."); });
window.addEventListener("hashchange", route);

async function start() {
  const key = getKey();
  if (!key) { showSignIn(); return; }
  try {
    signedIn(await api("/keys/me"));
  } catch {
    clearKey();
    showSignIn();
  }
}

start();
