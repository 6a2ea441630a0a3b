"""The benchmark's MSE measurement: the bootstrap it times is the notebook's estimate."""

from __future__ import annotations

import pytest

from analysis.run import bench


def test_mse_bootstrap_times_the_published_korea_estimate():
    figures = bench.mse_bootstrap("Korea", nboot=30, jobs=1, seed=11)
    assert figures["mse_estimate"] == pytest.approx(268.8)  # Chan, Silverman and Vincent 2021
    assert figures["mse_bootstrap_Korea_30_replicates_s"] >= 0
    assert figures["mse_bootstrap_jobs"] == 1
    lower, upper = figures["mse_ci"]
    assert lower < 268.8 < upper
