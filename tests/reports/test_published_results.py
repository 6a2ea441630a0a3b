"""What the scheduled run publishes, read from its results (skipped without `--run-dir`)."""

from __future__ import annotations

import json


def test_every_hidden_population_interval_rests_on_at_least_1000_replicates(run_dir):
    results = json.loads((run_dir / "results" / "60_hidden_population.json").read_text())
    tables = results["results"]["tables"]
    assert len(tables) == 10
    few = {name: t["nboot"] for name, t in tables.items() if t["nboot"] < 1000}
    assert not few, f"tables with fewer than 1,000 bootstrap replicates: {few}"
    assert all(t["ci"] for t in tables.values())
