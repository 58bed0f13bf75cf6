"""The summit's clock: what "now" is on the summit day, for re-plans, reports and the publish guard.

By default it is the real time. For rehearsals and replays it can be set, for every summit by ``SUMMIT_CLOCK``
or for one summit by ``PUT /summits/{id}/clock``:

* a fixed time: ``2025-10-26T09:00+07:00`` (the clock stands still);
* an accelerated clock: ``2025-10-26T09:00+07:00x60`` (starts at 09:00 when set and runs 60 times faster:
  a real minute is a summit hour).

A setting is stored with the real time it was set (``...x60@2026-12-05T20:00:00+00:00``), so every process
reading it tells the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from solver.scenario import Scenario

MAX_RATE = 10_000.0


class ClockError(ValueError):
    """A clock setting that cannot be read; the message says what is allowed."""


@dataclass(frozen=True)
class SummitClock:
    """Summit time ``start`` at real time ``anchor``, running ``rate`` times as fast (rate 0: fixed)."""

    start: datetime
    rate: float = 0.0
    anchor: datetime | None = None

    def now(self, real: datetime | None = None) -> datetime:
        if self.rate == 0 or self.anchor is None:
            return self.start
        elapsed = ((real or datetime.now(UTC)) - self.anchor) * self.rate
        return self.start + elapsed

    def setting(self) -> str:
        """The stored form (see the module's docstring)."""
        if self.rate == 0 or self.anchor is None:
            return self.start.isoformat()
        return f"{self.start.isoformat()}x{self.rate:g}@{self.anchor.isoformat()}"

    def describe(self) -> str:
        return "fixed" if self.rate == 0 else f"accelerated x{self.rate:g}"


def _moment(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(f"{what}: {text!r} is not an ISO 8601 date and time with its offset, "
                         "e.g. 2025-10-26T09:00+07:00") from None
    if moment.tzinfo is None:
        raise ClockError(f"{what}: {text!r} needs its UTC offset, e.g. 2025-10-26T09:00+07:00")
    return moment


def parse_clock(text: str, real: datetime | None = None) -> SummitClock:
    """A clock from its setting: fixed ``TIME``, accelerated ``TIMExRATE`` (anchored at ``real``, default the
    real time now) or the stored ``TIMExRATE@ANCHOR``."""
    body, _, anchor_text = text.partition("@")
    moment_text, sep, rate_text = body.partition("x")
    start = _moment(moment_text, "clock")
    if not sep:
        return SummitClock(start)
    try:
        rate = float(rate_text)
    except ValueError:
        raise ClockError(f"clock: the rate after 'x' must be a number, e.g. x60; got {rate_text!r}") from None
    if not 0 < rate <= MAX_RATE:
        raise ClockError(f"clock: the rate must be more than 0 and at most {MAX_RATE:g}; got {rate_text}")
    anchor = _moment(anchor_text, "clock's anchor") if anchor_text else (real or datetime.now(UTC))
    return SummitClock(start, rate, anchor)


def summit_clock(stored: str | None, default: str | None) -> SummitClock | None:
    """The summit's clock: its own setting, else the service's (SUMMIT_CLOCK), else None (the real time)."""
    if stored:
        return parse_clock(stored)
    return _service_clock(default) if default else None


@lru_cache(maxsize=8)
def _service_clock(text: str) -> SummitClock:
    """SUMMIT_CLOCK, read once per process: an accelerated one starts when the service does."""
    return parse_clock(text)


def summit_now(stored: str | None, default: str | None, real: datetime | None = None) -> datetime:
    """What time it is on the summit: its clock's time, or the real time."""
    clock = summit_clock(stored, default)
    return clock.now(real) if clock is not None else (real or datetime.now(UTC))


def during_summit(scenario: Scenario, now: datetime) -> datetime | None:
    """``now`` when it falls within the summit's days (from the first day's start to the last day's end),
    else None: before the summit a re-plan freezes nothing, after it there is nothing left to re-plan."""
    starts_ends = [scenario.day_bounds(day) for day in scenario.days]
    first, last = min(s for s, _ in starts_ends), max(e for _, e in starts_ends)
    return now if first <= now <= last else None
