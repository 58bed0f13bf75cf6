"""A printable HTML page: one table per day, every value escaped."""

from __future__ import annotations

from html import escape
from itertools import groupby

from api.exports.agenda import AgendaItem

_STYLE = """body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%;margin-bottom:2em}
th,td{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eee}
@media print{h2{page-break-before:always}h2:first-of-type{page-break-before:avoid}}"""


def to_html(items: list[AgendaItem], title: str, subtitle: str, names: dict[str, str]) -> str:
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>",
             f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1><p>{escape(subtitle)}</p>"]
    for day, rows in groupby(items, key=lambda item: item.start.date()):
        parts.append(f"<h2>{day:%A %d %B %Y}</h2><table><thead><tr><th>Time</th><th>Event</th><th>Room</th>"
                     "<th>Participants</th></tr></thead><tbody>")
        for item in rows:
            people = ", ".join(names.get(p, p) for p in item.participants)
            parts.append(f"<tr><td>{item.start:%H:%M}&ndash;{item.end:%H:%M}</td><td>{escape(item.title)}"
                         f"<br><small>{escape(item.event)} &middot; {escape(item.kind)}</small></td>"
                         f"<td>{escape(item.room_name)}</td><td>{escape(people)}</td></tr>")
        parts.append("</tbody></table>")
    if not items:
        parts.append("<p>No event is scheduled.</p>")
    parts.append("</body></html>")
    return "".join(parts)
