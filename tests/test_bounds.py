"""Feasible ranges of hidden counts (publish/bounds) against small systems solved by hand."""

import numpy as np
import pytest

from analysis.publish import bounds


def assert_ranges(system, targets, expected):
    np.testing.assert_allclose(system.ranges(targets), expected, atol=1e-6)


def two_by_two(lower=0.0, upper=np.inf):
    """A 2x2 table a b / c d with rows 10, 20 and columns 12, 18, every cell hidden."""
    system = bounds.System()
    a, b, c, d = (system.unknown(lower, upper) for _ in range(4))
    system.add_sum([a, b], 10)
    system.add_sum([c, d], 20)
    system.add_sum([a, c], 12)
    system.add_sum([b, d], 18)
    return system, (a, b, c, d)


def test_a_two_by_two_table_gives_each_cell_its_hand_solved_range():
    # b = 10 - a, c = 12 - a, d = 8 + a, all >= 0: a in [0, 10].
    system, cells = two_by_two()
    assert_ranges(system, cells, [[0, 10], [0, 10], [2, 12], [8, 18]])


def test_cell_bounds_narrow_the_ranges():
    # a and b are small cells (1 to 9): a in [1, 9], so c = 12 - a in [3, 11], d in [9, 17].
    system, (a, b, c, d) = two_by_two()
    system.set_bounds(a, 1, 9)
    system.set_bounds(b, 1, 9)
    assert_ranges(system, [a, b, c, d], [[1, 9], [1, 9], [3, 11], [9, 17]])


def test_a_published_cell_fixes_the_rest_of_a_two_by_two_table():
    system, (a, b, c, d) = two_by_two()
    system.set_bounds(d, 15, 15)
    assert_ranges(system, [a, b, c], [[7, 7], [3, 3], [5, 5]])


def test_a_cell_no_sum_bounds_has_an_infinite_maximum():
    system = bounds.System()
    free = system.unknown()
    x, y = system.unknown(), system.unknown()
    system.add_sum({x: 1.0, y: -1.0}, 5)  # x - y = 5: x at least 5, no upper end
    ranges = system.ranges([free, x, y])
    assert ranges[0].tolist() == [0, np.inf]
    assert ranges[1].tolist() == pytest.approx([5, np.inf])
    assert ranges[2].tolist() == [0, np.inf]


def test_margins_that_do_not_add_up_are_inconsistent():
    system = bounds.System()
    a, b = system.unknown(), system.unknown()
    system.add_sum([a, b], 10)  # the row total
    system.add_sum([a], 4)
    system.add_sum([b], 7)  # 4 + 7 is not 10
    with pytest.raises(bounds.Inconsistent):
        system.ranges([a])


def test_a_published_sum_outside_the_cell_bounds_is_inconsistent():
    system = bounds.System()
    small = [system.unknown(1, 9), system.unknown(1, 9)]
    system.add_sum(small, 19)  # two cells below 10 cannot add up to 19
    with pytest.raises(bounds.Inconsistent):
        system.ranges(small)


def test_coefficients_of_minus_one_link_a_total_published_elsewhere():
    # Report A: transgender 64. Report B: 28 + 33 + (<10). Linked: A - (B1 + B2 + B3) = 0.
    system = bounds.System()
    total = system.unknown(64, 64)
    shown = [system.unknown(28, 28), system.unknown(33, 33)]
    small = system.unknown(1, 9)
    system.add_sum({total: 1.0, shown[0]: -1.0, shown[1]: -1.0, small: -1.0}, 0)
    assert_ranges(system, [small], [[3, 3]])


def test_a_ranged_sum_bounds_its_members_from_both_sides():
    # A total shown as '<10' (1 to 9) of a cell known to be at least 5 and a free cell.
    system = bounds.System()
    x, y = system.unknown(5), system.unknown()
    system.add_sum([x, y], 1, 9)
    assert_ranges(system, [x, y], [[5, 9], [0, 4]])
    floor = bounds.System()
    u, v = floor.unknown(0, 3), floor.unknown(0, 4)
    floor.add_sum([u, v], 5, np.inf)  # at least 5, no upper end
    assert_ranges(floor, [u, v], [[1, 3], [2, 4]])


def test_a_sum_added_after_ranges_and_new_bounds_both_count():
    system = bounds.System()
    x, y = system.unknown(), system.unknown()
    system.add_sum([x, y], 10)
    assert_ranges(system, [x], [[0, 10]])
    system.add_sum([y], 4, 6)  # the cached matrices must be rebuilt
    assert_ranges(system, [x], [[4, 6]])
    system.set_bounds(y, 5, 5)  # bounds are read on every call
    assert_ranges(system, [x], [[5, 5]])
    assert system.ranges([]).shape == (0, 2)


@pytest.mark.parametrize(
    ("low", "high", "kind", "exposed"),
    [
        (1, 9, "small", False),  # any value 1 .. 9: nothing learnt
        (1, 30, "small", False),
        (1 + 1e-9, 9 - 1e-9, "small", False),  # solver noise is no exposure
        (2, 9, "small", True),  # not 1
        (1, 8, "small", True),  # not 9
        (3, 3, "small", True),
        (20, 20, "secondary", True),
        (20, 21, "secondary", False),
        (0, np.inf, "secondary", False),
    ],
)
def test_exposed_wants_the_whole_small_range_and_no_pinned_secondary(low, high, kind, exposed):
    assert bounds.exposed(low, high, kind, threshold=10) is exposed


def test_one_program_solved_for_many_objectives_agrees_with_fresh_programs():
    # The system keeps one HiGHS model and starts each objective from the last basis: every
    # range must still be what a fresh program (scipy's linprog) finds, in any order.
    from scipy.optimize import linprog

    rng = np.random.default_rng(7)
    counts = rng.integers(0, 30, size=(6, 7))
    system = bounds.System()
    cells = [[system.unknown(1, 9) if v < 10 else system.unknown(10) for v in row]
             for row in counts]  # fmt: skip
    for i, row in enumerate(cells):
        system.add_sum(row, counts[i].sum())
    for j in range(counts.shape[1]):
        system.add_sum([row[j] for row in cells], counts[:, j].sum())
    a_ub, b_ub, a_eq, b_eq = system.matrices()
    box = [(lo, None if np.isinf(hi) else hi)
           for lo, hi in zip(system.lower, system.upper, strict=True)]  # fmt: skip
    order = rng.permutation(counts.size)
    found = system.ranges(order)
    for k, target in enumerate(order):
        c = np.zeros(counts.size)
        c[target] = 1.0
        low = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=box).fun
        high = -linprog(-c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=box).fun
        assert found[k] == pytest.approx([low, high], abs=1e-6)


def test_a_warm_start_that_ends_undecided_is_solved_again_from_scratch():
    # Found by a reviewer: after x9's programs, HiGHS warm-started for x4 (unbounded above)
    # ended with status "unknown" on HiGHS 1.16; a fresh model gives [24, inf].
    def system():
        found = bounds.System()
        for low, high in [(0, np.inf), (1, 9), (10, np.inf), (34, 34), (0, np.inf), (0, np.inf),
                          (32, 32), (10, np.inf), (34, 34), (1, 9)]:  # fmt: skip
            found.unknown(low, high)
        found.add_sum({7: 1, 2: 1, 4: 1, 0: -1, 5: -1, 6: -1}, 8.0)  # linked tables: +-1
        found.add_sum({4: 1, 1: 1, 0: -1, 2: -1, 3: -1}, -11.0)
        found.add_sum([6, 3, 2, 5], 112.0)  # a published total
        found.add_sum([1, 3], 10.0, np.inf)  # withheld sums: (s)
        found.add_sum([1, 8], 10.0, np.inf)
        return found

    fresh = system().ranges([4])
    reused = system()
    reused.ranges([9])
    np.testing.assert_allclose(reused.ranges([4]), fresh)
    np.testing.assert_allclose(fresh, [[24, np.inf]])
