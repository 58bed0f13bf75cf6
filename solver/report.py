"""A comparison written out for planners: ``comparison.md``, ``.csv``, ``.json`` and the PNG charts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from solver.charts import chart_names, render, slug
from solver.timetable import Timetable, dump_timetable


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def summary_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per variant: the columns of the CSV and of the Markdown table."""
    rows = []
    for variant in data["variants"]:
        k = variant["kpis"]
        rows.append({
            "variant": variant["name"],
            "status": variant["status"],
            "objective": variant["objective"],
            "bound": variant["bound"],
            "gap": variant["gap"],
            "objective_min_over_seeds": variant["objective_range"][0],
            "bilaterals_granted": k["bilaterals"]["granted"],
            "bilaterals_requested": k["bilaterals"]["requested"],
            "bilaterals_share": k["bilaterals"]["share"],
            "bilateral_priority_granted": k["bilaterals"]["priority_granted"],
            "fairness_min": k["fairness"]["minimum"],
            "fairness_q1": k["fairness"]["lower_quartile"],
            "fairness_median": k["fairness"]["median"],
            "delegations_with_none": k["fairness"]["with_none_granted"],
            "vvip_idle_mean_min": k["vvip_idle"]["mean_minutes"],
            "vvip_idle_max_min": k["vvip_idle"]["max_minutes"],
            **{f"room_use_{kind}": share for kind, share in k["room_utilisation"].items()},
            **{f"peak_{rid}": f"{p['peak']}/{p['capacity']}" for rid, p in k["resource_peaks"].items()},
            "unscheduled": sum(k["unscheduled_by_reason"].values()),
            **{f"unscheduled_{code}": n for code, n in k["unscheduled_by_reason"].items()},
            **{f"overruns_{name}": value for name, value in k.get("robustness", {}).items()
               if name in ("expected_moved", "expected_notified", "expected_lost")},
            "violations": len(variant["violations"]),
        })
    return rows


def to_csv(data: dict[str, Any]) -> str:
    rows = summary_rows(data)
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def headline_markdown(data: dict[str, Any]) -> str:
    """The title and the headline table: one row per variant with the numbers planners look at first."""
    variants = data["variants"]
    lines = [f"# {data['base']}: {len(variants)} alternatives compared", "",
             f"Each solved {data['seeds']} time(s) for {data['time_limit_s']:g} s with {data['workers']} worker(s); "
             f"the best run of each is shown.", "",
             "| variant | status | bilaterals granted | priority granted | worst delegation | delegations with none "
             "| vvip wait (mean/day) | gap |",
             "|---|---|---|---|---|---|---|---|"]
    for v in variants:
        k = v["kpis"]
        b, f = k["bilaterals"], k["fairness"]
        lines.append(f"| {v['name']} | {v['status']} | {b['granted']}/{b['requested']} ({_percent(b['share'])}) "
                     f"| {b['priority_granted']}/{b['priority_requested']} | {_percent(f['minimum'])} "
                     f"| {f['with_none_granted']} | {k['vvip_idle']['mean_minutes']:g} min | {_percent(v['gap'])} |")
    return "\n".join(lines) + "\n"


def to_markdown(data: dict[str, Any]) -> str:
    """A page a planner reads: the headline table, then the details per variant."""
    variants = data["variants"]
    lines = [headline_markdown(data).rstrip("\n")]
    types = sorted({t for v in variants for t in v["kpis"]["room_utilisation"]})
    lines += ["", "## Room utilisation by room type", "", "| variant | " + " | ".join(types) + " |",
              "|---" * (len(types) + 1) + "|"]
    for v in variants:
        use = v["kpis"]["room_utilisation"]
        lines.append(f"| {v['name']} | " + " | ".join(_percent(use.get(t)) for t in types) + " |")
    resources = sorted({r for v in variants for r in v["kpis"]["resource_peaks"]})
    if resources:
        lines += ["", "## Resource peaks (most held at once / capacity)", "",
                  "| variant | " + " | ".join(resources) + " |", "|---" * (len(resources) + 1) + "|"]
        for v in variants:
            peaks = v["kpis"]["resource_peaks"]
            lines.append(f"| {v['name']} | " + " | ".join(
                f"{peaks[r]['peak']}/{peaks[r]['capacity']}" if r in peaks else "" for r in resources) + " |")
    lines += ["", "## Per variant", ""]
    for v in variants:
        k = v["kpis"]
        lines += [f"### {v['name']}", ""]
        lines.append(f"- Changes from the base: {len(v['changes'])}"
                     + "".join(f"\n  - `{json.dumps(c, ensure_ascii=False)}`" for c in v["changes"]))
        lines.append(f"- Objective {v['objective']}, bound {v['bound']}, status {v['status']}; over seeds "
                     f"{v['objective_range'][0]}..{v['objective_range'][1]}")
        reasons = ", ".join(f"{code}: {n}" for code, n in k["unscheduled_by_reason"].items()) or "none"
        lines.append(f"- Unscheduled requests by reason: {reasons}")
        if k.get("robustness"):
            r = k["robustness"]
            lines.append(f"- A usual summit of overruns ({r['replay_runs']} replayed): {r['expected_moved']:g} events "
                         f"to move, {r['expected_notified']:g} delegations to notify, {r['expected_lost']:g} "
                         f"requests lost; worst cause {r['worst_cause'] or 'none'}")
        if k["vvip_idle"]["worst"]:
            lines.append(f"- Longest vvip wait: {k['vvip_idle']['max_minutes']} min ({k['vvip_idle']['worst']})")
        lines.append(f"- Validator: {'no violation' if not v['violations'] else '; '.join(v['violations'][:5])}")
        lines.append(f"- Occupancy chart: `occupancy-{slug(v['name'])}.png`")
        lines.append("")
    lines += ["Charts: `kpis.png` (KPIs per variant), `fairness.png` (spread over delegations).", ""]
    return "\n".join(lines)


def write_report(data: dict[str, Any], directory: str | Path,
                 timetables: dict[str, Timetable] | None = None) -> list[Path]:
    """Write every output of a comparison into ``directory``; returns the files written."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("comparison.json", json.dumps(data, indent=2, ensure_ascii=False)),
                       ("comparison.csv", to_csv(data)), ("comparison.md", to_markdown(data))):
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    for chart in chart_names(data):
        (out / f"{chart}.png").write_bytes(render(data, chart))
        written.append(out / f"{chart}.png")
    for name, timetable in (timetables or {}).items():
        path = out / "timetables" / f"{slug(name)}.json"
        path.parent.mkdir(exist_ok=True)
        dump_timetable(timetable, path)
        written.append(path)
    return written
