"""Linear rows over placements: the common shape of every constraint family.

A row says ``sum(coef * x[placement]) <= upper`` over the placement booleans of the
compiled instance. Every hard rule of the contract that is not already enforced when the
placements are generated becomes a set of rows. The same rows feed the CP-SAT model and
the greedy warm start, so the two can never disagree about what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Rows:
    """A growing list of rows, each tagged with the constraint family that made it."""

    items: list[IntArray] = field(default_factory=list)
    coefs: list[IntArray] = field(default_factory=list)
    upper: list[int] = field(default_factory=list)
    family: list[str] = field(default_factory=list)

    def add(self, items: IntArray, coefs: IntArray, upper: int, family: str) -> None:
        self.items.append(items)
        self.coefs.append(coefs)
        self.upper.append(int(upper))
        self.family.append(family)

    def extend(self, other: Rows) -> None:
        self.items.extend(other.items)
        self.coefs.extend(other.coefs)
        self.upper.extend(other.upper)
        self.family.extend(other.family)

    def add_run(self, items: IntArray, coefs: IntArray, cut: IntArray, upper: IntArray, family: str) -> None:
        """Rows given one after the other: row k is ``items[cut[k]:cut[k + 1]]`` with those ``coefs``, capped by
        ``upper[k]`` (each row a view of ``items`` and ``coefs``: pass arrays holding these rows alone)."""
        begins, ends = cut[:-1].tolist(), cut[1:].tolist()
        self.items.extend([items[b:e] for b, e in zip(begins, ends, strict=True)])
        self.coefs.extend([coefs[b:e] for b, e in zip(begins, ends, strict=True)])
        self.upper.extend(upper.tolist())
        self.family.extend([family] * len(begins))

    def __len__(self) -> int:
        return len(self.upper)

    def count_by_family(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name in self.family:
            counts[name] = counts.get(name, 0) + 1
        return counts


# (entry, slot) pairs expanded at once by slot_rows: each takes about 40 bytes while the rows are found (a UN week's
# participants expand to 40 million: 950 MB at once), so larger families go a run of whole groups at a time
SLOTS_AT_ONCE = 2_000_000


def slot_rows(
    entry_item: IntArray,
    entry_group: IntArray,
    entry_first: IntArray,
    entry_last: IntArray,
    entry_coef: IntArray,
    group_upper: IntArray,
    n_slots: int,
    family: str,
) -> Rows:
    """One row per (group, slot): the entries covering that slot, capped by their group's upper bound.

    Each entry is a placement (``entry_item``) that occupies slots ``[first, last)`` of
    group ``entry_group`` with weight ``entry_coef``. Rows that can never be violated (all
    their weights together fit under the bound) are dropped, and so is a row identical to
    the previous slot's row of the same group.
    """
    lengths = np.maximum(entry_last - entry_first, 0)
    if int(lengths.sum()) <= SLOTS_AT_ONCE:
        return _slot_rows_at_once(entry_item, entry_group, entry_first, entry_last, entry_coef, group_upper,
                                  n_slots, family)
    # a group's rows come from its own entries alone, in the order of the groups: a run of whole groups at a time
    # gives the same rows in the same order
    per_group = np.cumsum(np.bincount(entry_group, weights=lengths))
    cuts = np.unique(np.searchsorted(per_group, np.arange(SLOTS_AT_ONCE, per_group[-1], SLOTS_AT_ONCE), "right") + 1)
    rows = Rows()
    for low, high in zip([0, *cuts.tolist()], [*cuts.tolist(), per_group.size], strict=True):
        mine = np.flatnonzero((entry_group >= low) & (entry_group < high))
        if mine.size:
            rows.extend(_slot_rows_at_once(entry_item[mine], entry_group[mine], entry_first[mine], entry_last[mine],
                                           entry_coef[mine], group_upper, n_slots, family))
    return rows


def _slot_rows_at_once(entry_item: IntArray, entry_group: IntArray, entry_first: IntArray, entry_last: IntArray,
                       entry_coef: IntArray, group_upper: IntArray, n_slots: int, family: str) -> Rows:
    """slot_rows over every entry at once."""
    rows = Rows()
    lengths = np.maximum(entry_last - entry_first, 0)
    total = int(lengths.sum())
    if total == 0:
        return rows
    entry = np.repeat(np.arange(entry_item.shape[0]), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    slot = entry_first[entry] + (np.arange(total) - starts[entry])
    key = entry_group[entry] * n_slots + slot
    order = np.argsort(key.astype(np.int32) if int(key.max()) < 2**31 else key, kind="stable")  # int32: 2x faster
    key = key[order]
    entry = entry[order]
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1, [total]])
    weights = entry_coef[entry]
    sums = np.add.reduceat(weights, bounds[:-1])
    row_group = key[bounds[:-1]] // n_slots
    upper = group_upper[row_group]
    binding = np.flatnonzero(sums > upper)
    # A row repeats the previous binding row of its group when no entry of the group starts or ends in
    # between: the same entries cover both slots (and come in the same order).
    row_key = key[bounds[:-1]][binding]
    changes = np.sort(np.concatenate([entry_group * n_slots + entry_first, entry_group * n_slots + entry_last]))
    same_group = np.zeros(binding.size, dtype=bool)
    same_group[1:] = row_group[binding][1:] == row_group[binding][:-1]
    previous_key = np.concatenate([[-1], row_key[:-1]])
    unchanged = np.searchsorted(changes, row_key, "right") == np.searchsorted(changes, previous_key, "right")
    kept = binding[~(same_group & unchanged)]
    counts = bounds[kept + 1] - bounds[kept]
    segments = entry[concat_ranges(bounds[kept], counts)]  # the kept rows' entries alone, one row after the other
    rows.add_run(entry_item[segments], entry_coef[segments], np.concatenate([[0], np.cumsum(counts)]), upper[kept],
                 family)
    return rows


def flattened(arrays: Sequence[npt.NDArray[np.integer]]) -> tuple[IntArray, IntArray]:
    """The arrays one after the other (``flat``), and where each begins there (``first``, one more for the end):
    array k is ``flat[first[k]:first[k + 1]]``."""
    sizes = np.fromiter((a.size for a in arrays), dtype=np.int64, count=len(arrays))
    flat = np.concatenate(arrays).astype(np.int64) if sizes.sum() else np.zeros(0, dtype=np.int64)
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), flat


def concat_ranges(first: IntArray, counts: IntArray) -> IntArray:
    """The integers of the ranges [first[k], first[k] + counts[k]), one after the other."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.arange(total, dtype=np.int64) + np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)


@dataclass
class RowIndex:
    """Rows seen from the placements: for each placement, the rows it appears in and its weight there."""

    upper: IntArray
    entry_row: IntArray
    entry_coef: IntArray
    item_bounds: IntArray  # entries of placement i are entry_*[item_bounds[i]:item_bounds[i + 1]]

    @classmethod
    def of(cls, rows: Rows, n_items: int) -> RowIndex:
        lengths = np.asarray([r.size for r in rows.items], dtype=np.int64)
        if len(rows):
            return cls.of_entries(rows.upper, lengths, np.concatenate(rows.items), np.concatenate(rows.coefs), n_items)
        empty = np.zeros(0, dtype=np.int64)
        return cls.of_entries(rows.upper, lengths, empty, empty, n_items)

    @classmethod
    def of_entries(cls, upper: list[int], lengths: IntArray, entry_item: IntArray, entry_coef: IntArray,
                   n_items: int) -> RowIndex:
        """The index of rows given as their lengths and their entries one row after the other."""
        entry_row = np.repeat(np.arange(len(upper)), lengths)
        # (int32 keys sort twice as fast as int64 ones: 10.6M entries on the UN week)
        keys = entry_item.astype(np.int32) if n_items < 2**31 else entry_item
        order = np.argsort(keys, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n_items))]).astype(np.int64)
        return cls(np.asarray(upper, dtype=np.int64), entry_row[order], entry_coef[order], bounds)

    def entries(self, item: int) -> slice:
        return slice(int(self.item_bounds[item]), int(self.item_bounds[item + 1]))

    def overflowing(self, load: IntArray) -> BoolArray:
        """Per placement: would turning it on push one of its rows over its bound, given the rows' ``load``?"""
        rows = self.entry_row
        over = (load[rows] + self.entry_coef > self.upper[rows]).astype(np.int64)
        counts = np.add.reduceat(np.append(over, 0), self.item_bounds[:-1])
        return (counts > 0) & (self.item_bounds[1:] > self.item_bounds[:-1])  # reduceat of an empty span reads on

    def load_of(self, placed: IntArray) -> IntArray:
        """Each row's left-hand side when exactly the ``placed`` placements are on."""
        load = np.zeros(self.upper.shape[0], dtype=np.int64)
        for item in placed:
            span = self.entries(int(item))
            np.add.at(load, self.entry_row[span], self.entry_coef[span])
        return load
