"""A report is a fact: a rule that only a running event and what cannot move break together is waived for them.

On the summit day an event that runs (it has started, or a report says it runs late) cannot be moved or dropped,
and some events cannot move either (a ceremony the planner pinned, what has started). When such a fact overruns into
one of those (a bilateral running 15 minutes into the exclusive opening ceremony pinned at 09:00), no plan keeps
the rule between the two: the re-plan does not answer "infeasible" (the fact happened), it waives that rule for
that pair, explicitly, and keeps it for everything else. The waiver is decided on the rows over the placements that
cannot move (``Instance.fixed``, one each) alone:

- a row of a pairwise or capacity rule (H7 rooms, H8 participants with their rest and travel, H11 exclusive events,
  H12 escorts, H13 resources) that the fixed placements break, but would not break without the facts
  (``Instance.facts``), loses the entries of fixed placements, the lightest first (a fact before another on a tie),
  until the fixed ones fit: the bilateral's entry leaves the exclusive rows of the slots it shares with the opening
  (the opening still keeps everything else out), a fact's entry leaves the room row it shares with a pinned meeting
  (the room still holds no third event); a time budget (a redundant sum of a person's or a room pool's time) gives
  way the same, unsaid: the rules it sums say it;
- an ``after`` rule (H10) between two fixed events, one a fact, that the fact's overrun breaks is not stated.

Fixed events that break a rule without a fact (two ceremonies a planner pinned together) keep the rule: that is a
true clash, answered "infeasible" with its proof. An event within the freeze window is not fixed here: a fact lifts
its freeze (:func:`solver.replan.change.in_the_way_of_reports`), and the plan around the fact moves it instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.compile import Instance
from solver.model.rows import BoolArray, Rows

# the row families a fact may break with what cannot move, and the rule each states (docs/rules.md); a time budget
# (redundant: a person's or a room pool's time in total) follows the rules it sums up, unsaid
WAIVABLE = {"room_one_event_at_a_time": "H7", "participant_one_event_at_a_time": "H8", "travel_time": "H8",
            "exclusive": "H11", "escort_capacity": "H12", "resource_capacity": "H13", "time_budget": ""}


@dataclass(frozen=True)
class Overlap:
    """A rule waived between two events that cannot move, one of them a fact (``running``)."""

    running: int
    other: int
    rule: str


def _alone(instance: Instance, events: frozenset[int]) -> list[int]:
    """Those of ``events`` that have exactly one placement here."""
    return [e for e in events if instance.event_items[e].size == 1]


def after_waived(instance: Instance, event: int, predecessor: int) -> bool:
    """Whether H10 (``event`` after ``predecessor``) is waived: both cannot move, one is a fact, and the
    predecessor's one placement ends after the event's starts."""
    if not instance.facts or not {event, predecessor} & instance.facts:
        return False
    mine, theirs = instance.event_items[event], instance.event_items[predecessor]
    if mine.size != 1 or theirs.size != 1 or not {event, predecessor} <= instance.fixed | instance.facts:
        return False
    return bool(instance.item_end[theirs[0]] > instance.item_start[mine[0]])


def waive(instance: Instance, rows: Rows) -> tuple[Rows, list[Overlap]]:
    """The rows with the waived entries left out (see the module; in place), and the overlaps waived."""
    facts = _alone(instance, instance.facts)
    if not facts or not len(rows):
        return rows, []
    fixed_event = np.zeros(len(instance.events), dtype=bool)
    fixed_event[_alone(instance, instance.fixed | instance.facts)] = True
    fact_item = np.zeros(instance.n_items, dtype=bool)
    fact_item[[int(instance.event_items[e][0]) for e in facts]] = True
    lengths = np.fromiter((r.size for r in rows.items), dtype=np.int64, count=len(rows))
    row_of = np.repeat(np.arange(len(rows)), lengths)
    found: list[Overlap] = []
    for r in np.unique(row_of[fact_item[np.concatenate(rows.items)]]).tolist():
        if rows.family[r] in WAIVABLE:
            found += _waive_row(instance, rows, r, fixed_event[instance.item_event[rows.items[r]]], fact_item)
    return rows, found


def _waive_row(instance: Instance, rows: Rows, r: int, fixed: BoolArray, fact_item: BoolArray) -> list[Overlap]:
    """Row ``r`` without the entries a fact's overrun makes it waive (see the module), and the overlaps waived."""
    members, coefs, upper = rows.items[r], rows.coefs[r], rows.upper[r]
    fact = fact_item[members]
    load = int(coefs[fixed].sum())
    if load <= upper or int(coefs[fixed & ~fact].sum()) > upper:
        return []  # (nothing fixed breaks it; or what is fixed breaks it without a fact: a true clash)
    keep = np.ones(members.size, dtype=bool)
    for k in sorted(np.flatnonzero(fixed).tolist(), key=lambda k: (int(coefs[k]), not fact[k])):
        if load <= upper:
            break
        keep[k] = False
        load -= int(coefs[k])
    rows.items[r], rows.coefs[r] = members[keep], coefs[keep]
    event = instance.item_event
    dropped, kept = members[~keep], members[keep & fixed]
    rule = WAIVABLE[rows.family[r]]
    if not rule:
        return []  # (a time budget: its waiver follows the rules it sums, said there)
    return [Overlap(int(event[a]), int(event[b]), rule) if fact_item[a] else Overlap(int(event[b]), int(event[a]), rule)
            for a in dropped.tolist() for b in kept.tolist() if fact_item[a] or fact_item[b]]


def overlaps_waived(instance: Instance, rows: Rows) -> list[Overlap]:
    """Every overlap the waiver allows in ``instance`` (its whole rows, not yet waived: ``rows``), each once (in
    the order found), with the ``after`` rules waived between fixed events."""
    _, found = waive(instance, Rows(list(rows.items), list(rows.coefs), list(rows.upper), list(rows.family)))
    for event in _alone(instance, instance.fixed | instance.facts):
        found += [Overlap(before, event, "H10") if before in instance.facts else Overlap(event, before, "H10")
                  for before in instance.predecessors[event] if after_waived(instance, event, before)]
    seen: set[tuple[frozenset[int], str]] = set()
    unique = []
    for overlap in found:
        key = (frozenset((overlap.running, overlap.other)), overlap.rule)
        if key not in seen:
            seen.add(key)
            unique.append(overlap)
    return unique


def fixed_overlaps(instance: Instance) -> list[Overlap]:
    """The overlaps the waiver allows among the events that cannot move (their one placement each), computed on their
    rows alone (a few hundred placements at most: quick on any summit)."""
    from solver.model.constraints import all_rows  # (the rows' families waive through this module)

    events = _alone(instance, instance.fixed | instance.facts)
    if not instance.facts or not events:
        return []
    keep = np.zeros(instance.n_items, dtype=bool)
    keep[[int(instance.event_items[e][0]) for e in events]] = True
    sub = instance.restricted(keep)
    return overlaps_waived(sub, all_rows(sub, waived=False))
