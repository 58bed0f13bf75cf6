"""Re-planning after last-minute changes, moving as little as possible.

``resolve(scenario, previous, changes, now)``:

1. applies the changes to get the new scenario version;
2. freezes what has started or starts within ``freeze_minutes`` after ``now`` (pinned to
   its room and start), and lets nothing new start before then;
3. solves lexicographically, in an expanding neighbourhood of the change (find.py):
   * stage A maximises ``W * (previously scheduled events kept) + (priority of optional
     events)``, with ``W`` larger than all priorities together, so a previously scheduled
     meeting is never traded for value, and value never for fewer moves;
   * stage B keeps stage A's value and minimises the weighted disruption;
   * events the change does not touch are fixed to their old placement first; if that
     loses a previously scheduled event or a newly requested one, the neighbourhood
     widens (partners and room-mates of the touched events, then everything);
   * requests left out before stay out unless the change names them, gives time, rooms or
     capacity (a reopened or added room, an added day, a cancelled event, a larger resource,
     wider availability) or makes an event go; even then they come in only where they fit
     around the events that stay: re-planning repairs, a fresh solve optimises;
   * when something had to go, a bound on what its people's events can hold (solved alone)
     stops the widening early; when required events clash on their own, the explanation
     comes at once;
   * when untouched events must move too, the change's events are solved free while every
     other event stays or steps aside at the least price of a move (then taking nothing),
     again with the events that stepped aside or were in the way free too (a relaxation that
     grows: its least cost bounds every repair, and an answer where no event steps aside is
     the least disruptive repair; level ``conflicts``);
4. reports the disruption with a proven lower bound: every event whose old placement
   became impossible must move at least at its cheapest alternative's cost; a resource cut
   forces the cheapest set of time moves that frees every over-capacity moment; the growing
   relaxation above; then a ladder of searches climbs from that bound ("is there a repair
   costing at most B?", B growing), each over the moves that fit in B and that a chain of
   moves from the change can reach: each search proven empty raises the bound, the first that
   holds a repair gives the least disruption. The relaxation is then solved once more with
   what the pooled model cannot price (an event keeps its pool but not its own room) priced.

When no repair comes in the time given, the standing timetable stays in force (status ``unknown``) with the events
the change breaks named; "infeasible" is answered only with a proof, said with the change, the limits and the
levers that would make it possible (``verdict.py``). A change applies from ``now`` on: the past stays as it was.

``ReplanResult.phases`` says where the time went (``benchmarks/replan.py --detail``). The package's modules, in the
order ``resolve`` uses them, are listed in the README ("Re-planning").

Disruption weights (:class:`DisruptionWeights`) are documented and configurable.
"""

from solver.replan.budget import ReplanConfig
from solver.replan.plan import DisruptionWeights, measure_disruption
from solver.replan.repair import ReplanResult, resolve

__all__ = ["DisruptionWeights", "ReplanConfig", "ReplanResult", "measure_disruption", "resolve"]
