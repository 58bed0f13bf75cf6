"""Timetable exports: rows for agendas, CSV, iCalendar and a printable HTML page."""

from api.exports.agenda import AgendaItem, agenda_items
from api.exports.calendar import to_ics
from api.exports.printable import to_html
from api.exports.table import CSV_COLUMNS, to_csv

__all__ = ["CSV_COLUMNS", "AgendaItem", "agenda_items", "to_csv", "to_html", "to_ics"]
