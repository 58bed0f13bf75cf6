"""Pictures of a comparison, drawn from its data alone (``run_comparison(...).data``), as PNG bytes.

- ``kpi_chart``: the KPIs per variant, one panel per question a planner asks.
- ``fairness_chart``: how the share of bilaterals granted is spread over delegations, per variant.
- ``occupancy_chart``: one variant's rooms (rows, grouped by zone) over time (columns), per day,
  events coloured by kind and vvip events hatched.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections import Counter
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no screen: render to files only

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

KIND_COLOURS = {"high_level": "#b2182b", "round_table": "#2166ac", "bilateral": "#1b7837", "other": "#8c6d31"}
DPI = 100
KPI_SIZE = (12.0, 8.0)  # inches: 1200 x 800 pixels at DPI


def slug(name: str) -> str:
    """A file-name-safe form of a variant name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "variant"


def chart_names(data: dict[str, Any]) -> list[str]:
    """Every chart a comparison has, by name (the PNG file is ``<name>.png``)."""
    return ["kpis", "fairness", *(f"occupancy-{slug(v['name'])}" for v in data["variants"])]


def render(data: dict[str, Any], name: str) -> bytes:
    """The named chart of a comparison; KeyError if the comparison has no such chart."""
    if name == "kpis":
        return kpi_chart(data)
    if name == "fairness":
        return fairness_chart(data)
    for variant in data["variants"]:
        if name == f"occupancy-{slug(variant['name'])}":
            return occupancy_chart(variant)
    raise KeyError(name)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def _wrap(name: str, width: int = 16) -> str:
    return textwrap.fill(name, width=width, break_long_words=True)


def _bars(axis: Any, names: list[str], values: list[float], title: str, percent: bool = False) -> None:
    shown = [v * 100 for v in values] if percent else values
    bars = axis.bar(range(len(names)), shown, color="#4d4d4d")
    axis.bar_label(bars, labels=[f"{v:.0f}%" if percent else f"{v:g}" for v in shown], fontsize=8)
    axis.set_title(title, fontsize=10)
    # Whole names, wrapped on two or three lines: a cut name can no longer be told from its neighbour.
    axis.set_xticks(range(len(names)), [_wrap(n) for n in names], fontsize=8)
    if percent:
        axis.set_ylim(0, 110)


def kpi_chart(data: dict[str, Any]) -> bytes:
    """Bilaterals granted, delegations left with none, vvip waiting time and room use, per variant."""
    variants = data["variants"]
    names = [v["name"] for v in variants]
    kpis = [v["kpis"] for v in variants]
    figure, axes = plt.subplots(2, 2, figsize=KPI_SIZE, layout="constrained")
    figure.suptitle(f"{data['base']}: alternatives side by side", fontsize=12)
    _bars(axes[0][0], names, [k["bilaterals"]["share"] for k in kpis], "Bilateral requests granted", percent=True)
    _bars(axes[0][1], names, [k["fairness"]["with_none_granted"] for k in kpis],
          "Delegations with none of their bilateral requests granted")
    _bars(axes[1][0], names, [k["vvip_idle"]["mean_minutes"] for k in kpis],
          "Heads of state: mean waiting minutes per day")
    axis = axes[1][1]
    types = sorted({t for k in kpis for t in k["room_utilisation"]})
    width = 0.8 / max(1, len(names))
    for index, (name, k) in enumerate(zip(names, kpis, strict=True)):
        axis.bar([i + index * width for i in range(len(types))],
                 [k["room_utilisation"].get(t, 0) * 100 for t in types], width, label=name)
    axis.set_xticks([i + 0.4 - width / 2 for i in range(len(types))], [_wrap(t) for t in types], fontsize=8)
    axis.set_title("Room utilisation by room type (%)", fontsize=10)
    axis.legend(fontsize=7)
    return _png(figure)


def fairness_chart(data: dict[str, Any]) -> bytes:
    """The spread over delegations of the share of their bilateral requests granted."""
    variants = data["variants"]
    figure, axis = plt.subplots(figsize=(10.0, 5.0), layout="constrained")
    shares = [sorted(v["kpis"]["fairness"]["shares"].values()) or [1.0] for v in variants]
    axis.boxplot([[s * 100 for s in values] for values in shares], tick_labels=[_wrap(v["name"], 20) for v in variants],
                 showfliers=False)
    # Every delegation as a point; delegations with the same share side by side, and their number written, so
    # that seven delegations at 0 % are not drawn as one point.
    for position, values in enumerate(shares, start=1):
        for value, count in sorted(Counter(round(v * 100, 6) for v in values).items()):
            xs = [position] if count == 1 else [position - 0.3 + 0.6 * k / (count - 1) for k in range(count)]
            axis.scatter(xs, [value] * count, s=14, color="#1f5fa8", alpha=0.8, zorder=3, linewidths=0)
            if count > 1:
                axis.annotate(f"{count}", (position + 0.33, value), fontsize=7, va="center", color="#1b1f24")
    axis.set_ylabel("share of a delegation's bilateral requests granted (%)")
    axis.set_ylim(-5, 105)
    axis.set_title("Fairness across delegations (each point a delegation; a number counts those at the same share)")
    axis.tick_params(axis="x", labelsize=8)
    return _png(figure)


def _hours(moment: str) -> float:
    value = datetime.fromisoformat(moment)
    return value.hour + value.minute / 60


def occupancy_chart(variant: dict[str, Any]) -> bytes:
    """One variant's timetable: rooms down, time across, one panel per day."""
    layout = variant["occupancy"]
    rooms, days = layout["rooms"], layout["days"]
    height = max(3.0, 0.28 * len(rooms) + 1.5)
    figure, axes = plt.subplots(1, len(days), figsize=(max(10.0, 6.0 * len(days)), height), sharey=True,
                                layout="constrained", squeeze=False)
    figure.suptitle(f"Room occupancy: {variant['name']}", fontsize=12)
    for axis, (day_start, day_end) in zip(axes[0], days, strict=True):
        day = day_start[:10]
        for row, room in enumerate(rooms):
            for booking in room["bookings"]:
                if booking["start"][:10] != day:
                    continue
                start, end = _hours(booking["start"]), _hours(booking["end"])
                axis.broken_barh([(start, end - start)], (row - 0.4, 0.8),
                                 facecolors=KIND_COLOURS.get(booking["kind"], "#777777"),
                                 edgecolor="white", linewidth=0.5, hatch="///" if booking["vvip"] else None)
        axis.set_xlim(_hours(day_start), _hours(day_end) or 24)
        axis.set_title(day, fontsize=10)
        axis.set_xlabel("hour")
        axis.grid(axis="x", linestyle=":", linewidth=0.5)
    first = axes[0][0]
    first.set_yticks(range(len(rooms)), [f"{r['name']} ({r['zone']})" for r in rooms], fontsize=7)
    first.invert_yaxis()
    legend = [Patch(facecolor=colour, label=kind.replace("_", " ")) for kind, colour in KIND_COLOURS.items()]
    legend.append(Patch(facecolor="white", edgecolor="black", hatch="///", label="with a head of state"))
    figure.legend(handles=legend, loc="outside lower center", ncols=len(legend), fontsize=8)
    return _png(figure)
