"""What a reader can work out about hidden cells: the smallest and the largest value each one
can take, given every published cell and sum (linear programs, solved with HiGHS).

A `System` holds unknown counts, each with the bounds a reader knows (a published cell is
fixed, a `<10` cell lies in [1, 9], a `(s)` cell is >= 10) and published sums of them (a
margin, a total published in another report). `ranges` gives the feasible range of each
unknown asked for, two programs each on the whole system. `Ranges` is the engine for many
hidden cells at once: it splits the system into independent parts, settles many cells with
one program, and solves a cell's own programs only when a test still needs them (used by
`disclosure.exposed_cells` and `analysis audit`). The LP relaxation is used, as in
tau-ARGUS's audit: its range holds every whole-number solution, so it can be wider than what a
reader who uses whole numbers works out; ranges are rounded inward to whole numbers
(`whole_numbers`), and on the project's tables (margins of two-way tables) the two agree
(tests/test_disclosure.py compares them with an exact mixed-integer reader).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    _program_for: tuple | None = field(default=None, repr=False)

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
        self._matrices = self._program_for = None

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
        program = self._program(lower, upper, free)
        found = [sign * program.least(np.where(chosen, sign, 0.0))[0] for sign in (1.0, -1.0)]
        return constant + found[0], constant + found[1]

    def _program(self, lower: np.ndarray, upper: np.ndarray, free: np.ndarray) -> Program:
        """The program over the free unknowns, the fixed ones moved to the right-hand side
        (kept while the bounds are the same)."""
        key = (lower.tobytes(), upper.tobytes())
        if self._program_for is None or self._program_for[0] != key:
            a_ub, b_ub, a_eq, b_eq = self.matrices()
            fixed = np.setdiff1d(np.arange(len(lower)), free)

            def part(a, b):
                if a is None:
                    return None, None
                return a[:, free], b - a[:, fixed] @ lower[fixed]

            matrices = (*part(a_ub, b_ub), *part(a_eq, b_eq))
            self._program_for = (key, Program(matrices, lower[free], upper[free]))
        return self._program_for[1]


class Program:
    """The sums (`matrices`: A_ub, b_ub, A_eq, b_eq) and the unknowns' bounds, loaded into
    HiGHS once: each `least` changes only the objective and starts from the last solution's
    basis, so the many programs of one system cost a few pivots each."""

    def __init__(self, matrices: tuple, lower: np.ndarray, upper: np.ndarray):
        import highspy  # imported on first use: most reports solve no LP

        # the plain solver: `highspy.Highs()` logs a banner before any option can silence it
        self.highs = highspy._Highs()
        self.highs.setOptionValue("output_flag", False)
        self.status = highspy.HighsModelStatus
        inf = highspy.kHighsInf
        n = len(lower)
        self.highs.addVars(n, np.asarray(lower, float), np.where(np.isinf(upper), inf, upper))
        a_ub, b_ub, a_eq, b_eq = matrices
        for a, low, high in ((a_ub, None, b_ub), (a_eq, b_eq, b_eq)):
            if a is None or a.shape[0] == 0:
                continue
            a = a.tocsr()
            low = np.full(a.shape[0], -inf) if low is None else np.asarray(low, float)
            self.highs.addRows(a.shape[0], low, np.asarray(high, float), a.nnz,
                               a.indptr.astype(np.int32), a.indices.astype(np.int32),
                               a.data.astype(float))  # fmt: skip
        self.columns = np.arange(n, dtype=np.int32)

    def least(self, weights: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The least value of weights . x and a point that reaches it: (-inf, None) when
        there is no least value; `Inconsistent` when the published numbers cannot all hold."""
        self.highs.changeColsCost(len(self.columns), self.columns, np.asarray(weights, float))
        self.highs.run()
        status = self.highs.getModelStatus()
        decided = (self.status.kOptimal, self.status.kInfeasible, self.status.kUnbounded,
                   self.status.kUnboundedOrInfeasible)  # fmt: skip
        if status not in decided:  # a warm start can end undecided: solve it from scratch
            self.highs.clearSolver()
            self.highs.run()
            status = self.highs.getModelStatus()
        if status == self.status.kUnboundedOrInfeasible:  # tell the two apart
            self.highs.changeColsCost(len(self.columns), self.columns, np.zeros(len(weights)))
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == self.status.kOptimal:
                return -np.inf, None
        if status == self.status.kInfeasible:
            raise Inconsistent("the published numbers cannot all hold")
        if status == self.status.kUnbounded:
            return -np.inf, None
        if status != self.status.kOptimal:
            raise RuntimeError(f"HiGHS: {self.highs.modelStatusToString(status)}")
        point = np.array(self.highs.getSolution().col_value)
        return float(self.highs.getInfo().objective_function_value), point


# Many hidden cells at once: the independent parts of a system, settled together.

# safe(target, sign, low, high): whether a range that the target's feasible range holds already
# shows it safe at its low end (sign 1) or its high end (-1); stays true for any wider range.
SafeTest = Callable[[int, float, float, float], bool]
# rule(target, low, high): whether a target whose feasible range is [low, high] is exposed.
Rule = Callable[[int, float, float], bool]


class Part:
    """An independent part of a system: free unknowns that share sums, directly or through
    each other, once the fixed unknowns are moved into the sums (`rows`: free members, lower,
    upper, all members).

    The solution of each program is a point that the published numbers allow, so it widens
    the range seen of every unknown of the part (`low`, `high`): the true range holds the seen
    one, and an unknown whose seen range is already wide enough needs no program of its own.
    `settle` first pushes many targets at once."""

    def __init__(self, rows: list, lower: np.ndarray, upper: np.ndarray):
        self.members = sorted({i for row in rows for i in row[3]})  # for naming the tables
        self.index: dict[int, int] = {}  # unknown of the whole system -> unknown of the part
        system = System()
        for free, low, high, _ in rows:
            for i in free:
                if i not in self.index:
                    self.index[i] = system.unknown(lower[i], upper[i])
            system.add_sum({self.index[i]: c for i, c in free.items()}, low, high)
        self.matrices = system.matrices()
        self.lower, self.upper = np.array(system.lower), np.array(system.upper)
        self.low = np.full(len(self.lower), np.inf)  # the range seen of each unknown
        self.high = np.full(len(self.lower), -np.inf)
        self.exact: dict[tuple[int, float], float] = {}
        self.programs_by: dict[bool, Program] = {}
        self.targets: list[int] = []  # the unknowns of the whole system asked for, in order
        self.failed = False  # its published numbers cannot all hold

    def seen(self, unknown: int) -> tuple[float, float]:
        k = self.index[unknown]
        return float(self.low[k]), float(self.high[k])

    def least(self, weights: np.ndarray, capped: bool = False) -> float:
        """The least value of weights . x (-inf when there is none), widening the seen
        ranges; `Inconsistent` when the numbers cannot all hold. `capped`: unbounded unknowns
        held below a cap above every published number, so that pushing them up still gives
        a point (one the published numbers allow, as every point found is)."""
        try:
            value, point = self.program(capped).least(weights)
        except Inconsistent:
            if capped:
                return self.least(weights)
            raise
        if point is not None:
            self.low, self.high = np.minimum(self.low, point), np.maximum(self.high, point)
        return value

    def program(self, capped: bool) -> Program:
        """The part's program, its unknowns capped or not (see `least`); kept."""
        if capped not in self.programs_by:
            top = self.upper
            if capped:
                rhs = sum(abs(b).sum() for b in self.matrices[1::2] if b is not None)
                top = np.minimum(self.upper, rhs + self.lower.sum() + 1.0)
            self.programs_by[capped] = Program(self.matrices, self.lower, top)
        return self.programs_by[capped]

    def end(self, unknown: int, sign: float) -> float:
        """The least (sign 1) or the greatest (sign -1) value of one unknown of the whole
        system: a bound of its own that a seen point reaches, else one program."""
        k = self.index[unknown]
        if (k, sign) not in self.exact:
            low, high = self.lower[k], self.upper[k]
            if sign > 0 and self.low[k] <= low + TOLERANCE:
                found = low
            elif sign < 0 and self.high[k] >= high - TOLERANCE:
                found = high
            else:
                weights = np.zeros(len(self.lower))
                weights[k] = sign
                found = sign * self.least(weights)
            self.exact[k, sign] = float(found)
        return self.exact[k, sign]

    def settle(self, safe: SafeTest) -> None:
        """Push all targets not yet seen safe down together, then up, while that shows more
        of them safe; the rest are left to `Ranges.exposed`. Marks the part `failed` when its
        numbers cannot all hold."""

        def unsafe(target: int, sign: float) -> bool:
            return not safe(target, sign, *self.seen(target))

        try:
            for sign in (1.0, -1.0):
                todo = self.targets
                while todo := [t for t in todo if unsafe(t, sign)]:
                    weights = np.zeros(len(self.lower))
                    weights[[self.index[t] for t in todo]] = sign
                    self.least(weights, capped=sign < 0)
                    if all(unsafe(t, sign) for t in todo):
                        break
        except Inconsistent:
            self.failed = True


def never_safe(target: int, sign: float, low: float, high: float) -> bool:
    return False


class Ranges:
    """The feasible ranges of the `targets` of a system, each worked out only as far as a test
    needs it. The fixed unknowns are moved into the sums, which splits the rest into
    independent parts (`Part`; a sum that its members' bounds meet anyway, a withheld one,
    links nothing); each part that holds a target is settled at once (`Part.settle`).

    `safe` (a `SafeTest`; default: never) tells when a range seen is wide enough; `rule` (a
    `Rule`; default: not safe at both ends) decides on a feasible range, and must say no where
    `safe` holds at both ends. `broken`: the members of each sum or part whose numbers cannot
    all hold (only parts that hold a target are solved)."""

    def __init__(
        self,
        system: System,
        targets: Iterable[int],
        safe: SafeTest = never_safe,
        rule: Rule | None = None,
    ):
        self.safe = safe
        self.rule = rule or (lambda t, low, high: not self.safe_both(t, low, high))
        self.lower = np.array(system.lower, dtype=float)
        self.upper = np.array(system.upper, dtype=float)
        self.targets = list(dict.fromkeys(int(t) for t in targets))
        rows, self.broken = _free_rows(system, self.lower, self.upper)
        label = _labels(len(self.lower), [row[0] for row in rows])
        by_label: dict[int, list] = {}
        for row in rows:
            by_label.setdefault(label[next(iter(row[0]))], []).append(row)
        parts: dict[int, Part] = {}
        self.part: dict[int, Part] = {}  # the part of each target that has one
        for target in self.targets:
            key = label[target]
            if self.lower[target] != self.upper[target] and key in by_label:
                if key not in parts:
                    parts[key] = Part(by_label[key], self.lower, self.upper)
                self.part[target] = parts[key]
                parts[key].targets.append(target)
        self.parts = [parts[k] for k in by_label if k in parts]
        for part in self.parts:
            part.settle(self.safe)
            if part.failed:
                self.broken.append(part.members)

    def failed(self, target: int) -> bool:
        return target in self.part and self.part[target].failed

    def seen(self, target: int) -> tuple[float, float]:
        """A range the target's feasible range holds (NaN when its part cannot hold)."""
        if self.failed(target):
            return np.nan, np.nan
        if target not in self.part:
            return float(self.lower[target]), float(self.upper[target])
        return self.part[target].seen(target)

    def range(self, target: int) -> tuple[float, float]:
        """The feasible range: the least and the greatest value the sums allow (NaN when its
        part cannot hold; its own bounds when it is in no sum)."""
        if self.failed(target) or target not in self.part:
            return self.seen(target)
        part = self.part[target]
        return part.end(target, 1.0), part.end(target, -1.0)

    def safe_both(self, target: int, low: float, high: float) -> bool:
        return self.safe(target, 1.0, low, high) and self.safe(target, -1.0, low, high)

    def exposed(self) -> list[int]:
        """The targets that `rule` calls exposed, in order (none of a part that cannot hold):
        each end not yet seen safe is solved, and `rule` is asked only where one still is
        not."""
        found = []
        for target in self.targets:
            if self.failed(target):
                continue
            for sign in (1.0, -1.0):
                if target in self.part and not self.safe(target, sign, *self.seen(target)):
                    self.part[target].end(target, sign)
            if not self.safe_both(target, *self.seen(target)) and self.rule(
                target, *self.range(target)
            ):
                found.append(target)
        return found


def _free_rows(system: System, lower: np.ndarray, upper: np.ndarray) -> tuple[list, list]:
    """The sums over the free unknowns, the fixed ones moved to the right-hand side, as
    (free members, lower, upper, all members), leaving out those that the bounds of their
    members meet anyway; and the members of each sum left without free members that fails."""
    fixed = lower == upper
    rows, broken = [], []
    for members, low, high in system.sums:
        shift = sum(c * lower[i] for i, c in members.items() if fixed[i])
        free = {i: c for i, c in members.items() if not fixed[i]}
        low, high = low - shift, high - shift
        least_sum = sum(c * lower[i] for i, c in free.items())
        if np.isinf(high) and all(c > 0 for c in free.values()) and least_sum >= low - TOLERANCE:
            continue  # a withheld sum, `(s)`: counts within their bounds meet it anyway
        if free:
            rows.append((free, low, high, members))
        elif low > TOLERANCE or high < -TOLERANCE:
            broken.append(list(members))
    return rows, broken


def _labels(n: int, rows: list[dict]) -> np.ndarray:
    """A part label per unknown: unknowns that share a sum, directly or not, share a label."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    pairs = [(n + k, i) for k, free in enumerate(rows) for i in free]
    if not pairs:
        return np.arange(n)
    a, b = np.array(pairs).T
    size = n + len(rows)
    graph = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(size, size))
    return connected_components(graph, directed=False)[1][:n]


# The rule on one range.


def whole_numbers(low: float, high: float) -> tuple[float, float]:
    """The least and greatest whole number in [low, high] (a count is one)."""
    return float(np.ceil(low - TOLERANCE)), float(np.floor(high + TOLERANCE))


def pinned(low: float, high: float) -> bool:
    """A feasible range that leaves at most one whole number: the count is known."""
    least, most = whole_numbers(low, high)
    return most <= least


def safe_end(
    low: float,
    high: float,
    sign: float,
    kind: str,
    threshold: int,
    required: tuple | None = None,
) -> bool:
    """Whether a hidden cell's range (its feasible range, or one that range holds) shows it
    safe at its low end (`sign` 1) or its high end (-1): a small cell (`kind` 'small') reaches
    1 at the low end and threshold - 1 at the high end (or the ends of `required`); a cell
    hidden to protect another ('secondary') is not pinned to one value (at either end)."""
    if kind == "small":
        least, most = whole_numbers(low, high)
        first, last = required or (1, threshold - 1)
        return least <= first if sign > 0 else most >= last
    return not pinned(low, high)


def exposed(
    low: float, high: float, kind: str, threshold: int, required: tuple | None = None
) -> bool:
    """Whether a hidden cell's feasible range gives too much away: a small cell (`kind`
    'small') must be able to take every value 1 .. threshold - 1 (or the `required` part of
    it); a cell hidden to protect another ('secondary') must not be pinned to one value."""
    return not all(safe_end(low, high, sign, kind, threshold, required) for sign in (1.0, -1.0))
