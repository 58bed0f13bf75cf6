"""CSV: one line per scheduled event, times in ISO 8601 with the summit's offset."""

from __future__ import annotations

import csv
import io

from api.exports.agenda import AgendaItem

CSV_COLUMNS = ("event", "title", "kind", "room", "room_name", "zone", "start", "end", "participants")


def to_csv(items: list[AgendaItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow([item.event, item.title, item.kind, item.room, item.room_name, item.zone,
                         item.start.isoformat(), item.end.isoformat(), ";".join(item.participants)])
    return out.getvalue()
