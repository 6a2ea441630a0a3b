"""With no run-time history, a cold run orders the real notebooks by typical times, so that
the longest chain of work starts first."""

from __future__ import annotations

from analysis.data import paths
from analysis.run import runner
from analysis.run.runner import RunOptions
from analysis.run.steps import STEPS


def test_with_no_history_the_longest_chain_of_the_real_notebooks_starts_first():
    plan = runner.resolve_steps(paths.notebooks_dir(), STEPS)
    tasks = runner.expand(plan, {})
    pending = runner.Run(RunOptions(), tasks, paths.project_root() / "reports", None, {})
    chains = pending.priority
    typical = {s.notebook: s.seconds for s in STEPS}
    first = pending.ready()[0]
    assert chains[first] == max(chains[n] for n in pending.ready())
    # A sink's chain is its own typical time; a cleaning step heads the chain through 60.
    assert chains["60_hidden_population"] == typical["60_hidden_population"]
    assert first in ("01_clean_victims", "02_clean_enforcement")
    assert chains[first] >= typical[first] + chains["60_hidden_population"]
    assert chains[first] > chains["00_data_sources"]
