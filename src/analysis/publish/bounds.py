"""What a reader can work out about hidden cells: the smallest and the largest value each one
can take, given every published cell and sum (linear programs, SciPy's HiGHS).

A `System` holds unknown counts, each with the bounds a reader knows (a published cell is
fixed, a `<10` cell lies in [1, 9], a `(s)` cell is >= 0) and published sums of them (a
margin, a total published in another report). `ranges` gives the feasible range of each
unknown asked for. The LP relaxation is used, as in tau-ARGUS's audit: its range contains
every integer range, so a cell it calls safe is safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TOLERANCE = 1e-6


class Inconsistent(ValueError):
    """Published numbers that no counts can meet (margins that do not add up)."""


@dataclass
class System:
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    sums: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    _matrices: tuple | None = field(default=None, repr=False)
    _reduced_for: tuple | None = field(default=None, repr=False)

    def set_bounds(self, unknown: int, lower: float, upper: float) -> None:
        self.lower[unknown], self.upper[unknown] = float(lower), float(upper)

    def unknown(self, lower: float = 0.0, upper: float = np.inf) -> int:
        """A new unknown count within [lower, upper]; its index."""
        self.lower.append(float(lower))
        self.upper.append(float(upper))
        return len(self.lower) - 1

    def add_sum(self, members, lower: float, upper: float | None = None) -> None:
        """The unknowns `members` add up to a value in [lower, upper] (exactly `lower` if no
        upper is given). `members` lists indices, or maps them to coefficients."""
        upper = lower if upper is None else upper
        if not isinstance(members, dict):
            members = dict.fromkeys((int(m) for m in members), 1.0)
        self.sums.append((members, float(lower), float(upper)))
        self._matrices = self._reduced_for = None

    def matrices(self):
        """A_ub, b_ub, A_eq, b_eq of the sums (kept until a sum is added)."""
        if self._matrices is None:
            self._matrices = self._build()
        return self._matrices

    def _build(self):
        from scipy import sparse  # imported on first use: most reports solve no LP at import

        exact = [(m, lo) for m, lo, hi in self.sums if lo == hi]
        ranged = [(m, lo, hi) for m, lo, hi in self.sums if lo != hi]
        n = len(self.lower)

        def rows(members_list, signs=None):
            data, cols, indptr = [], [], [0]
            for k, members in enumerate(members_list):
                sign = 1.0 if signs is None else signs[k]
                cols.extend(members)
                data.extend(sign * c for c in members.values())
                indptr.append(len(cols))
            return sparse.csr_matrix((data, cols, indptr), shape=(len(members_list), n))

        a_eq = rows([m for m, _ in exact]) if exact else None
        b_eq = np.array([v for _, v in exact]) if exact else None
        ub_members = [m for m, _, hi in ranged if np.isfinite(hi)]
        ub_values = [hi for _, _, hi in ranged if np.isfinite(hi)]
        lb_members = [m for m, lo, _ in ranged if lo > 0]
        lb_values = [-lo for _, lo, _ in ranged if lo > 0]
        members = ub_members + lb_members
        a_ub = b_ub = None
        if members:
            signs = [1.0] * len(ub_members) + [-1.0] * len(lb_members)
            a_ub = rows(members, signs)
            b_ub = np.array(ub_values + lb_values)
        return a_ub, b_ub, a_eq, b_eq

    def ranges(self, targets) -> np.ndarray:
        """[[min, max], ...] of each target unknown (max may be inf). `Inconsistent` when the
        published numbers cannot all hold."""
        return np.array([self.sum_range([t]) for t in targets], dtype=float).reshape(-1, 2)

    def sum_range(self, members) -> tuple[float, float]:
        """The least and the greatest value of the sum of the unknowns `members`."""
        lower, upper = np.array(self.lower), np.array(self.upper)
        free = np.flatnonzero(lower != upper)  # the LP runs on the free unknowns only
        members = np.asarray(list(members), dtype=int)
        constant = float(lower[members[lower[members] == upper[members]]].sum())
        chosen = np.isin(free, members)
        if not chosen.any():
            return constant, constant
        a_ub, b_ub, a_eq, b_eq = self._reduced(lower, free)
        bounds = [(lo, None if np.isinf(hi) else hi) for lo, hi in zip(lower[free], upper[free],
                                                                        strict=True)]  # fmt: skip
        from scipy.optimize import linprog

        found = []
        for sign in (1.0, -1.0):
            c = np.where(chosen, sign, 0.0)
            result = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                             method="highs")  # fmt: skip
            if result.status == 2:
                raise Inconsistent("the published numbers cannot all hold")
            found.append(np.inf if result.status == 3 else sign * result.fun)
        return constant + found[0], constant + found[1]

    def _reduced(self, fixed_values: np.ndarray, free: np.ndarray):
        """The sums over the free unknowns, the fixed ones moved to the right-hand side (kept
        while the same unknowns are fixed at the same values)."""
        key = (free.tobytes(), fixed_values.tobytes())
        if self._reduced_for is not None and self._reduced_for[0] == key:
            return self._reduced_for[1]
        a_ub, b_ub, a_eq, b_eq = self.matrices()
        fixed = np.setdiff1d(np.arange(len(fixed_values)), free)
        values = fixed_values[fixed]

        def part(a, b):
            if a is None:
                return None, None
            return a[:, free], b - a[:, fixed] @ values

        self._reduced_for = (key, (*part(a_ub, b_ub), *part(a_eq, b_eq)))
        return self._reduced_for[1]


def whole_numbers(low: float, high: float) -> tuple[float, float]:
    """The least and greatest whole number in [low, high] (a count is one)."""
    return float(np.ceil(low - TOLERANCE)), float(np.floor(high + TOLERANCE))


def pinned(low: float, high: float) -> bool:
    """A feasible range that leaves at most one whole number: the count is known."""
    least, most = whole_numbers(low, high)
    return most <= least


def exposed(
    low: float, high: float, kind: str, threshold: int, required: tuple | None = None
) -> bool:
    """Whether a hidden cell's feasible range gives too much away: a small cell (`kind`
    'small') must be able to take every value 1 .. threshold - 1 (or the `required` part of
    it); a cell hidden to protect another ('secondary') must not be pinned to one value."""
    if kind == "small":
        least, most = whole_numbers(low, high)
        first, last = required or (1, threshold - 1)
        return least > first or most < last
    return pinned(low, high)
