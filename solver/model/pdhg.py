"""The whole LP of the largest summits by our own first-order method: restarted PDHG in float32, as PDLP does it.

PDLP holds three float64 / int64 copies of the LP's matrix while it runs (the Python-side program, the copy its
call takes, and that copy's transpose: about 48 bytes per entry), which on a three-venue UN week (22M entries) took
the bound's child to 2.2 GB beside the search. This solver keeps the capacity rows once, as the entries they were
built in (scipy CSR, float32 coefficients and int32 placements: 8 bytes per entry; their transpose is the same
arrays read as CSC), and each event's own row not at all (a placement's event is an index). Its multipliers go
through the same pricing as PDLP's (:class:`solver.bound.Pricing`: any multipliers give a valid bound, computed in
float64 from the exact coefficients), so float32 costs the bound a little tightness, never its validity.

The method is PDLP's (Applegate et al., "Practical large-scale linear programming using primal-dual hybrid
gradient", 2021): diagonal preconditioning (Pock-Chambolle), adaptive steps, restarts to the average or the
current iterate when a KKT error has fallen enough (as cuPDLP does), and a primal weight updated at each restart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

PRICE_ROWS_AT_ONCE = 2_000_000  # entries of the capacity rows priced in float64 at a time (bounds the pricing's peak)
CHECK_EVERY = 64  # iterations between two looks at the restart criteria (as cuPDLP)
RESTART_SUFFICIENT, RESTART_NECESSARY, RESTART_ARTIFICIAL = 0.2, 0.8, 0.36
PRIMAL_WEIGHT_SMOOTHING = 0.5


@dataclass(frozen=True)
class CompactLp:
    """max value.x over 0 <= x <= 1, each event's placements summing to at most 1 (exactly 1 if required), and the
    capacity rows A x <= upper; A as CSR over (capacity rows, placements), float32 coefficients (small integers,
    exact), int32 placements."""

    capacity: sparse.csr_matrix
    upper: FloatArray  # per capacity row
    item_row: npt.NDArray[np.int32]  # per placement, its event's row
    required: npt.NDArray[np.bool_]  # per event row
    value: FloatArray  # per placement

    @property
    def n_items(self) -> int:
        return int(self.value.size)

    def capacity_load(self, u: FloatArray) -> FloatArray:
        """A^T u in float64 from the exact coefficients, a slice of rows at a time."""
        matrix, out = self.capacity, np.zeros(self.n_items)
        starts = matrix.indptr
        rows = matrix.shape[0]
        low = 0
        while low < rows:
            high = int(np.searchsorted(starts, starts[low] + PRICE_ROWS_AT_ONCE, "right")) - 1
            high = min(max(high, low + 1), rows)
            begin, end = int(starts[low]), int(starts[high])
            weights = np.repeat(u[low:high], np.diff(starts[low: high + 1])) * matrix.data[begin:end]
            out += np.bincount(matrix.indices[begin:end], weights=weights, minlength=self.n_items)
            low = high
        return out


class _Scaled:
    """The LP preconditioned (K~ = D_r K D_c, x = D_c x~), K being the events' rows then the capacity rows: the
    operators apply the scales as vectors, so the matrix stays as built (exact) and is stored once."""

    def __init__(self, lp: CompactLp) -> None:
        self.lp = lp
        self.n_events = int(lp.required.size)
        # Pock-Chambolle (alpha 1): each row and column by the square root of its absolute sum (some rows have
        # negative coefficients: an event after another)
        absolute = sparse.csr_matrix((np.abs(lp.capacity.data), lp.capacity.indices, lp.capacity.indptr),
                                     shape=lp.capacity.shape)
        row_sum_cap = absolute @ np.ones(lp.n_items, dtype=np.float32)
        row_sum_ev = np.bincount(lp.item_row, minlength=self.n_events).astype(np.float32)
        col_sum = (absolute.T @ np.ones(lp.capacity.shape[0], dtype=np.float32)) + 1.0
        self.largest = float(np.max(absolute.data, initial=1.0))
        del absolute
        self.d_cap = (1.0 / np.sqrt(np.maximum(row_sum_cap, 1e-12))).astype(np.float32)
        self.d_ev = (1.0 / np.sqrt(np.maximum(row_sum_ev, 1e-12))).astype(np.float32)
        self.d_col = (1.0 / np.sqrt(col_sum)).astype(np.float32)
        self.cost = (-lp.value * self.d_col).astype(np.float32)  # minimised
        self.high = (1.0 / self.d_col).astype(np.float32)  # x~ in [0, 1 / d_col]
        self.ev_low = (lp.required * self.d_ev).astype(np.float32)
        self.ev_high = self.d_ev.copy()
        self.cap_high = (np.where(np.isfinite(lp.upper), lp.upper, 1e30) * self.d_cap).astype(np.float32)

    def forward(self, x: Float32Array) -> tuple[Float32Array, Float32Array]:
        """K~ x~: the events' rows, the capacity rows."""
        unscaled = x * self.d_col
        events = np.bincount(self.lp.item_row, weights=unscaled, minlength=self.n_events).astype(np.float32)
        return events * self.d_ev, (self.lp.capacity @ unscaled) * self.d_cap

    def adjoint(self, y_ev: Float32Array, y_cap: Float32Array) -> Float32Array:
        """K~^T y~."""
        return ((self.lp.capacity.T @ (y_cap * self.d_cap)) + (y_ev * self.d_ev)[self.lp.item_row]) * self.d_col


@dataclass
class _Point:
    """An iterate with its products: x~, y~ (events', capacity rows'), K~ x~ and K~^T y~."""

    x: Float32Array
    y_ev: Float32Array
    y_cap: Float32Array
    kx_ev: Float32Array
    kx_cap: Float32Array
    kty: Float32Array


class Pdhg:
    """Restarted PDHG with adaptive steps on a :class:`CompactLp`; :meth:`run` iterates, :meth:`multipliers` gives
    the capacity rows' multipliers of the best point so far (the restart candidate) in the LP's own units."""

    def __init__(self, lp: CompactLp) -> None:
        self.lp, self.s = lp, _Scaled(lp)
        s = self.s
        x = np.zeros(lp.n_items, dtype=np.float32)
        y_ev, y_cap = np.zeros(s.n_events, dtype=np.float32), np.zeros(lp.capacity.shape[0], dtype=np.float32)
        self.now = _Point(x, y_ev, y_cap, *s.forward(x), s.adjoint(y_ev, y_cap))
        bounds = math.sqrt(float(np.square(s.ev_high).sum() + np.square(np.minimum(s.cap_high, 1e6)).sum()))
        cost = float(np.linalg.norm(s.cost))
        self.weight = cost / bounds if cost > 0 and bounds > 0 else 1.0
        self.step = 1.0 / max(float(np.max(s.d_col)) * max(float(np.max(s.d_ev)), float(np.max(s.d_cap, initial=0)))
                              * max(1.0, s.largest), 1e-12)
        self.iterations = 0
        self.last_restart = self._copy(self.now)
        self.kkt_at_restart = self._kkt(self.now)
        self.since_restart = 0
        self.candidate_kkt_before = math.inf
        self._reset_average()

    @staticmethod
    def _copy(point: _Point) -> _Point:
        return _Point(*(array.copy() for array in (point.x, point.y_ev, point.y_cap, point.kx_ev, point.kx_cap,
                                                   point.kty)))

    def _reset_average(self) -> None:
        self.total = 0.0
        self.sum = _Point(*(np.zeros_like(array) for array in (self.now.x, self.now.y_ev, self.now.y_cap,
                                                                self.now.kx_ev, self.now.kx_cap, self.now.kty)))

    def _average(self) -> _Point:
        if self.total <= 0:
            return self._copy(self.now)
        scale = np.float32(1.0 / self.total)
        return _Point(*(array * scale for array in (self.sum.x, self.sum.y_ev, self.sum.y_cap, self.sum.kx_ev,
                                                     self.sum.kx_cap, self.sum.kty)))

    def _kkt(self, p: _Point) -> float:
        """sqrt(weight * |primal residual|^2 + gap^2): the bounds on x are boxes, so no dual residual remains."""
        s = self.s
        residual = float(np.square(np.maximum(p.kx_ev - s.ev_high, 0) + np.maximum(s.ev_low - p.kx_ev, 0)).sum()
                         + np.square(np.maximum(p.kx_cap - s.cap_high, 0)).sum())
        primal = float(s.cost.astype(np.float64) @ p.x)
        reduced = s.cost + p.kty
        dual = (float(np.minimum(reduced, 0).astype(np.float64) @ s.high)
                - float(np.maximum(p.y_ev, 0) @ s.ev_high) + float(np.maximum(-p.y_ev, 0) @ s.ev_low)
                - float(p.y_cap.astype(np.float64) @ s.cap_high))
        return math.sqrt(self.weight * residual + (primal - dual) ** 2)

    def _iterate(self) -> None:
        """One accepted step (PDLP's adaptive step size: retried smaller while it moves too far)."""
        s, p = self.s, self.now
        while True:
            self.iterations += 1
            tau, sigma = self.step / self.weight, self.step * self.weight
            x = np.clip(p.x - np.float32(tau) * (s.cost + p.kty), 0, s.high)
            kx_ev, kx_cap = s.forward(x)
            w_ev = p.y_ev + np.float32(sigma) * (2 * kx_ev - p.kx_ev)
            y_ev = (w_ev - np.float32(sigma) * np.clip(w_ev / np.float32(sigma), s.ev_low, s.ev_high)).astype(
                np.float32, copy=False)
            y_cap = np.maximum(p.y_cap + np.float32(sigma) * (2 * kx_cap - p.kx_cap - s.cap_high), 0).astype(
                np.float32, copy=False)
            kty = s.adjoint(y_ev, y_cap)
            dx = x - p.x
            movement = 0.5 * (self.weight * float(dx @ dx) + (float(np.square(y_ev - p.y_ev).sum())
                                                              + float(np.square(y_cap - p.y_cap).sum())) / self.weight)
            interaction = abs(float(dx @ (kty - p.kty)))
            limit = movement / interaction if interaction > 0 else math.inf
            k, used = self.iterations, self.step
            accepted = used <= limit
            self.step = min((1 - (k + 1) ** -0.3) * limit, (1 + (k + 1) ** -0.6) * self.step)
            if accepted:
                break
        eta = used  # (the average weighs each iterate by the step that made it)
        self.now = _Point(x, y_ev, y_cap, kx_ev, kx_cap, kty)
        for total, array in zip((self.sum.x, self.sum.y_ev, self.sum.y_cap, self.sum.kx_ev, self.sum.kx_cap,
                                 self.sum.kty), (x, y_ev, y_cap, kx_ev, kx_cap, kty), strict=True):
            total += np.float32(eta) * array
        self.total += eta
        self.since_restart += 1

    def _maybe_restart(self) -> None:
        """cuPDLP's criteria on the better (by KKT error) of the current iterate and the average since the last
        restart: restart to it when its error fell to a fifth of the last restart's, or to four fifths and stopped
        falling, or when this run since the restart is over a third of all iterations."""
        average = self._average()
        kkt_now, kkt_average = self._kkt(self.now), self._kkt(average)
        candidate, kkt = (average, kkt_average) if kkt_average < kkt_now else (self.now, kkt_now)
        restart = (kkt <= RESTART_SUFFICIENT * self.kkt_at_restart
                   or (kkt <= RESTART_NECESSARY * self.kkt_at_restart and kkt > self.candidate_kkt_before)
                   or self.since_restart >= RESTART_ARTIFICIAL * self.iterations)
        self.candidate_kkt_before = kkt
        if not restart:
            return
        moved_x = float(np.linalg.norm(candidate.x - self.last_restart.x))
        moved_y = math.sqrt(float(np.square(candidate.y_ev - self.last_restart.y_ev).sum()
                                  + np.square(candidate.y_cap - self.last_restart.y_cap).sum()))
        if moved_x > 1e-10 and moved_y > 1e-10:
            self.weight = math.exp(PRIMAL_WEIGHT_SMOOTHING * math.log(moved_y / moved_x)
                                   + (1 - PRIMAL_WEIGHT_SMOOTHING) * math.log(self.weight))
        self.now = candidate
        self.last_restart = self._copy(candidate)
        self.kkt_at_restart, self.candidate_kkt_before, self.since_restart = kkt, math.inf, 0
        self._reset_average()

    def run(self, iterations: int | None = None, seconds: float | None = None) -> None:
        """Iterate for a count of iterations, or for some seconds (whichever is given)."""
        ends = None if seconds is None else time.monotonic() + seconds
        done = 0
        while (iterations is None or done < iterations) and (ends is None or time.monotonic() < ends):
            self._iterate()
            done += 1
            if self.since_restart % CHECK_EVERY == 0:
                self._maybe_restart()

    def multipliers(self) -> list[FloatArray]:
        """The capacity rows' multipliers (u >= 0, in the LP's own units) of the current iterate and of the average
        since the last restart: the pricing takes the better."""
        return [(point.y_cap * self.s.d_cap).astype(np.float64) for point in (self.now, self._average())]

    def floor_settled(self, floor: int) -> bool:
        """Whether the current iterate or the average is worth the bound's floor or more (with
        :func:`solver.bound.floor_settled`'s margin) while no row is broken by more than its residual: then no later
        round can lower the floor (the LP's optimum is about at least that primal's worth)."""
        from solver.bound import SETTLED_RESIDUAL

        return self._primal_shows(floor, SETTLED_RESIDUAL)

    def floor_stalled(self, floor: int, floors_before: list[int | None]) -> bool:
        """Whether later rounds would lower the floor by ``STALL_POINTS`` at most and are unlikely to, as
        :func:`solver.bound.floor_stalled` says of PDLP's: the last ``STALL_ROUNDS`` rounds left it where it is
        (``floors_before``: the floor after each earlier round), and the current iterate or the average shows the
        LP's optimum at or above the floor less ``STALL_POINTS``."""
        from solver.bound import STALL_POINTS, STALLED_RESIDUAL, floor_unmoved

        return floor_unmoved(floor, floors_before) and self._primal_shows(floor - STALL_POINTS, STALLED_RESIDUAL)

    def _primal_shows(self, floor: int, residual_allowed: float) -> bool:
        """Whether the current iterate or the average, no row broken by more than ``residual_allowed``, is worth
        ``floor`` or more with the settled margin (:func:`solver.bound.primal_settles_floor`)."""
        from solver.bound import primal_settles_floor

        lp, s = self.lp, self.s
        for point in (self.now, self._average()):
            events = point.kx_ev / s.d_ev
            broken = max(float(np.max(events - 1.0, initial=0.0)), float(np.max(lp.required - events, initial=0.0)),
                         float(np.max(point.kx_cap / s.d_cap - lp.upper, initial=0.0)))
            worth = float(lp.value @ (point.x * s.d_col).astype(np.float64))
            if primal_settles_floor(floor, worth, broken, residual_allowed):
                return True
        return False

    def weights(self) -> FloatArray:
        """The current iterate's weight on every placement, in [0, 1]."""
        return np.clip((self.now.x * self.s.d_col).astype(np.float64), 0.0, 1.0)


def pdhg_rounds(lp: CompactLp, price: Callable[[FloatArray, FloatArray], float], seconds: float,
                on_bound: Callable[[int], None] | None = None, iterations: int | None = None,
                first_round: float = 2.0, longest_round: float = 15.0,
                on_primal: Callable[[FloatArray], None] | None = None,
                until_floor_settled: bool = False) -> float | None:
    """PDHG for ``seconds`` (or ``iterations``, for tests), priced after each round (``price``: multipliers and
    A^T u -> bound); rounds grow by half from ``first_round`` up to ``longest_round`` (the solver keeps its state
    across rounds: a round only says when to price). Each better bound's floor goes to ``on_bound``; the best is
    returned. ``until_floor_settled``: stop once the floor can go no lower (:meth:`Pdhg.floor_settled`) or has
    stalled within a point of it (:meth:`Pdhg.floor_stalled`), as PDLP's rounds do
    (:func:`solver.bound.pdlp_rounds`)."""
    deadline = time.monotonic() + seconds
    solver = Pdhg(lp)
    best: float | None = None
    floors: list[int | None] = []  # the bound's floor after each round so far (None: no bound yet)
    chunk = first_round
    while True:
        if iterations is not None:
            solver.run(iterations=iterations)
        else:
            solver.run(seconds=max(0.1, min(chunk, deadline - time.monotonic() - 0.5)))
        for u in solver.multipliers():
            u = np.where(np.isfinite(lp.upper) & np.isfinite(u), u, 0.0)  # (a multiplier of 0 always prices)
            value = price(u, lp.capacity_load(u))
            if not math.isfinite(value):
                continue
            if best is None or value < best:
                if on_bound is not None and (best is None or math.floor(value + 1e-6) < math.floor(best + 1e-6)):
                    on_bound(int(math.floor(value + 1e-6)))
                best = value
        if on_primal is not None:
            on_primal(solver.weights())
        floor = None if best is None else math.floor(best + 1e-6)
        if until_floor_settled and floor is not None and (solver.floor_settled(floor)
                                                          or solver.floor_stalled(floor, floors)):
            return best
        floors.append(floor)
        if iterations is not None or time.monotonic() >= deadline - 1.0:
            return best
        chunk = min(chunk * 1.5, longest_round)
