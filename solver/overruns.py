"""Seeded days of overruns drawn from a scenario's overrun model (``Scenario.overrun_model``).

A draw is a whole summit lived ``runs`` times: for every scheduled event how many minutes it runs late,
and for every participant on every day how many minutes late they arrive for their first event. An
overrun happens with its probability; its minutes follow an exponential spread of the given mean, cut at
the maximum and rounded up to whole minutes. The same seed always draws the same days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.scenario import Event, Overrun, Scenario, Tier


@dataclass(frozen=True)
class Draws:
    """``event_late[r, i]``: minutes event i runs late in run r; ``arrival_late[r, k]``: minutes the k-th
    (participant, day) of the replay arrives late."""

    event_late: np.ndarray
    arrival_late: np.ndarray


def late_minutes(rng: np.random.Generator, runs: int, overruns: list[Overrun]) -> np.ndarray:
    """Minutes late of each of ``overruns`` in each run (0 when it runs on time)."""
    if not overruns:
        return np.zeros((runs, 0))
    probability = np.array([o.probability for o in overruns])
    mean = np.array([o.mean_minutes for o in overruns])
    cap = np.array([o.max_minutes for o in overruns], dtype=float)
    happens = rng.random((runs, len(overruns))) < probability
    minutes = np.minimum(np.ceil(rng.exponential(1.0, (runs, len(overruns))) * mean), cap)
    return np.where(happens, minutes, 0.0)


def draw_days(scenario: Scenario, events: list[Event], arrival_tiers: list[Tier], runs: int, seed: int) -> Draws:
    """Draw ``runs`` summits of overruns for ``events`` and for participants of ``arrival_tiers``."""
    model = scenario.overrun_model
    rng = np.random.default_rng(seed)
    event_late = late_minutes(rng, runs, [model.for_event(e) for e in events])
    arrival_late = late_minutes(rng, runs, [model.arrival(t) for t in arrival_tiers])
    return Draws(event_late=event_late, arrival_late=arrival_late)


def no_overruns(events: int, arrivals: int, runs: int = 1) -> Draws:
    """A day on which everything runs to time."""
    return Draws(np.zeros((runs, events)), np.zeros((runs, arrivals)))
