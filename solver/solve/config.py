"""What a solve is asked (:class:`SolveConfig`) and what it answers: the timetable, its statistics and the
anytime curve (one :class:`Progress` per improving incumbent, the proven bound over time)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from solver.size import BOUND_CHILD_UP_TO
from solver.timetable import Timetable

# What each step of a solve may take of the time still left when it starts, as the re-plan's steps do
# (solver/replan/budget.py SHARES), read through the solve's Budget (solver/budget.py).
SHARES = {
    "greedy": 0.25,  # placing the required events the greedy order boxed in, by CP-SAT if its chains give up (>= 1 s)
    "bound": 0.3,  # the LP bounds before the search (at least 0.5 s, at most 60 s)
}


@dataclass(frozen=True)
class Progress:
    """One improving incumbent: seconds since the solve began, its objective and the proven bound."""

    seconds: float
    objective: int
    bound: int


@dataclass
class SolveConfig:
    time_limit: float = 20.0
    workers: int = 2
    seed: int = 0
    # Stop after this long without improvement; None: never while a gap remains (only the tie-breakers
    # stop after max(5 s, a third of the limit) once the primary objective is proven optimal).
    stall_seconds: float | None = None
    lns: bool = True  # hand over to large-neighbourhood search when the whole model stops improving
    handover_seconds: float | None = None  # default: max(3 s, a tenth of the time limit) without improvement
    warm_start: bool = True
    max_presolve_iterations: int | None = 1  # measured: faster first solutions (benchmarks/RESULTS.md)
    log_search: bool = False
    lp_bound: bool = True  # prove bounds with the LP relaxations (GLOP) before the search
    stop: threading.Event | None = None  # set it to stop the search; the best timetable so far is kept
    # Above this many placements large-neighbourhood search improves the greedy timetable alone (solver/lns.py),
    # without the whole model: above 250k it does not fit in 2 GB (measured: 3.5 GB at 511k), and from 1,000
    # requests (92-98k placements) on the whole model's build and its CP-SAT search before the hand-over cost
    # more than they give (measured side by side at load 9-12, 60 s, the peers' summits: 1,000 requests seed 1
    # 1,611 with the whole model, 1,615 alone; seed 2 1,602 both, 17 LNS rounds against 29; 2,000 requests seed 1
    # 1,858, not one improvement by the whole model, against 1,884 alone). 500 requests (48-52k) keep it.
    decompose_above: int = 80_000
    # Above this many placements, when the aggregated LP leaves a gap, the whole LP runs beside the search in a
    # process of its own (solver/bound_beside.py): before it, it would delay the search by seconds to tens of
    # seconds (GLOP: 8-10 s at 500 requests, not solved in 120 s at 1,000; PDLP: 18 s at 1,000).
    bound_beside_above: int = 45_000  # (Hanoi: 42k, its gaps closed by GLOP in 0.5 s)
    # ... and up to this many (the UN weeks: 1.38M and 2.28M placements): the whole LP built by columns, without
    # travel and time budgets above a million placements, fits beside the search (1.3 GB at 1.38M, 9,772 against
    # the aggregated LP's 11,006; it took 3.2 GB through a proto)
    bound_beside_below: int = BOUND_CHILD_UP_TO
    # large-neighbourhood search also frees the requests the whole LP's solution (from the child) takes and the
    # timetable leaves out (solver/lns.py, ``lp_requests``). Off: measured at 1,000 requests (load 9-12, seeds
    # 1-3, 60 s, benchmarks/RESULTS.md c27b) it never improved a round and the child's rounds, slowed by sending
    # their solutions, gave worse bounds (1,740 / 1,850 against 1,715 / 1,761 without it)
    lp_guided: bool = False
    # the bound's child rounds each of the whole LP's solutions into a timetable (solver/model/rounding.py: the
    # requests the LP takes, where it puts them) and large-neighbourhood search goes on from it when it is worth
    # more than its best (benchmarks/RESULTS.md c27c)
    lp_rounded: bool = True
    # large-neighbourhood search re-plans each round within the placements the whole LP's latest solution (from the
    # child) gives more than a thousandth (solver/lns.py ``LnsConfig.lp_core``; benchmarks/RESULTS.md core27)
    lp_core: bool = True
    # large-neighbourhood search alone runs this many rounds at once when it has the cores (solver/lns.py, ``lanes``;
    # solver/solve/steps.py ``lns_lanes``)
    lns_lanes: int = 2
    # large-neighbourhood search first improves each rounded timetable it takes by the local search on the occupancy
    # arrays (solver/model/moves.py: requests left out pushed in where the events in their way move elsewhere or are
    # worth less; benchmarks/RESULTS.md s27)
    moves: bool = True
    # Memory (issue 27): large-neighbourhood search alone, without the whole model. With ``memory_mb`` set, the
    # summit's estimated memory (solver/size.py) decides: the whole model when it fits, else LNS alone, and a
    # summit that does not fit even so is refused before anything is built (size.TooLarge).
    lns_only: bool = False
    memory_mb: int | None = None
    # The robust solve (solver/slack.py): after the plain solve, a second stage moves events to where overruns
    # cascade less, every request kept; None: the scenario's overruns.robust setting. ``slack_share``: the share
    # of the time limit the second stage has (more when the first ends early).
    robust: bool | None = None
    slack_share: float = 0.4
    # what a buffer is worth in priority points in the robust solve (solver/buffers.py); None: the scenario's
    # overruns.buffer_value (default 0: no request is given up for a buffer)
    buffer_value: float | None = None
    # the share of the value the robust solve may give up where most cascades run (solver/cascades.py); None: the
    # scenario's overruns.cascade_budget (default 0: none)
    cascade_budget: float | None = None
    # once the primary objective is proven optimal, the tie-breakers' search ends after this long without
    # improvement; None: max(5 s, a third of the limit). The robust solve's first stage: 1 s (the second stage
    # rearranges the days anyway).
    tie_break_seconds: float | None = None


@dataclass
class SolveStats:
    compile_seconds: float = 0.0
    build_seconds: float = 0.0
    first_solution_seconds: float | None = None
    search_seconds: float = 0.0
    placements: int = 0
    rows: int = 0
    rows_by_family: dict[str, int] = field(default_factory=dict)
    greedy_objective: int | None = None
    lp_bound: int | None = None  # the whole model's LP
    aggregated_bound: int | None = None  # the time-aggregated LP (solver/bound.py)
    lp_seconds: float = 0.0
    optimal_proven_seconds: float | None = None
    stopped_by: str = ""
    lns_seconds: float = 0.0
    lns_rounds: int = 0
    lns_alone: bool = False  # large-neighbourhood search alone, without the whole model (size or memory)
    lns_improved: dict[str, int] = field(default_factory=dict)  # neighbourhood -> rounds that improved
    # rounds begun on a best that another lane improved meanwhile: their changes merged onto it / refused there
    lns_merged: tuple[int, int] = (0, 0)
    # the robust solve's second stage: seconds, and the expected events moved plus requests lost per summit on
    # its own draws, before and after (solver/slack.py)
    slack_seconds: float = 0.0
    slack_replay: tuple[float, float] | None = None
    # how full the fullest pool of rooms is on its fullest day in the first stage's timetable, where, and the cascade
    # budget the robust solve ran with (solver/cascades.py ``fullest_rooms``): the CLI advises a budget from them
    fullest_rooms: tuple[float, str] | None = None
    cascade_budget: float = 0.0


@dataclass
class SolveResult:
    timetable: Timetable
    stats: SolveStats
    progress: list[Progress]
    bounds: list[tuple[float, int]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.timetable.status


ProgressHandler = Callable[[Progress], None]
LP_MAX_PLACEMENTS = 150_000
