// Small helpers shared by the views: HTML escaping, element building, time in the summit's zone.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for HTML (element content and quoted attributes). */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Tagged template: interpolated values are escaped unless wrapped with raw(). */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    if (value instanceof Raw) out += value.text;
    else if (Array.isArray(value)) out += value.map((v) => (v instanceof Raw ? v.text : esc(v))).join("");
    else out += esc(value);
    out += strings[i + 1];
  });
  return new Raw(out);
}

export class Raw {
  constructor(text) { this.text = text; }
  toString() { return this.text; }
}

export function raw(text) { return new Raw(text); }

/** Set an element's content from an html`` result in one go. */
export function render(element, content) {
  element.innerHTML = content instanceof Raw ? content.text : esc(content);
}

export function $(selector, root = document) { return root.querySelector(selector); }
export function $$(selector, root = document) { return [...root.querySelectorAll(selector)]; }

export function minutesOf(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

export function hhmm(minutes) {
  const h = Math.floor(minutes / 60), m = minutes % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/** Date and minute of the day of ISO instants, in an IANA zone (cached: a timetable repeats its instants). */
export function zoneClock(timeZone) {
  let format;
  try {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  } catch {
    format = new Intl.DateTimeFormat("en-CA", { timeZone: "UTC", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }
  const cache = new Map();
  return (iso) => {
    let hit = cache.get(iso);
    if (hit) return hit;
    const parts = {};
    for (const p of format.formatToParts(new Date(iso))) parts[p.type] = p.value;
    hit = { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
    cache.set(iso, hit);
    return hit;
  };
}

/** "2025-10-25T09:00:00+07:00" -> "2025-10-25 09:00" (an already local time, as agendas give). */
export function localText(iso) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : "";
}

export function dateLabel(date) {
  const d = new Date(`${date}T12:00:00Z`);
  return d.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric",
    timeZone: "UTC" });
}

export const KIND_LABELS = { high_level: "High-level", round_table: "Round table", bilateral: "Bilateral",
  other: "Other" };

export function kindLabel(kind) { return KIND_LABELS[kind] || kind; }

/** Announce a short text to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}
