"""Runs on a Dask cluster: the same tasks through `distributed`'s executor give the same
results as the local pool; a scheduler out of reach is one line, and nothing is published;
a worker that dies is named."""

from __future__ import annotations

import json
import socket

import pytest
from fixture_dag import STEPS, run, write_notebook

from analysis.run import executors
from analysis.run.runner import RunError
from analysis.run.steps import Step

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.usefixtures("dag_catalog")  # the fixture DAG's tables

PROFILE = """
import json
from pathlib import Path
if report_dir:
    target = Path(report_dir) / "results"
    target.mkdir(parents=True, exist_ok=True)
    name = f"04_profile-{iso3}"
    results = {"notebook": name, "results": {"iso3": iso3, "letters": sorted(iso3)}}
    (target / f"{name}.json").write_text(json.dumps(results))
    tables = {"notebook": name, "version": 1, "tables": []}
    (target / f"{name}.tables.json").write_text(json.dumps(tables))
"""
COUNTRIES = ["UKR", "MDA", "NGA"]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as local:  # fmt: skip
        yield local


def profile_results(run_dir) -> dict:
    return {
        path.name: json.loads(path.read_text())
        for path in sorted((run_dir / "results").glob("04_profile-*.json"))
        if not path.name.endswith(".tables.json")
    }


@pytest.mark.slow  # a cluster and kernels
def test_a_fan_out_on_a_dask_cluster_gives_what_the_local_pool_gives(dag, cluster):
    write_notebook(dag / "notebooks/04_profile.ipynb", 'iso3 = "BLR"\nreport_dir = None', PROFILE)
    steps = (*STEPS, Step("04_profile", fan_out="iso3"))
    fan_out = {"iso3": COUNTRIES}
    status, local = run(dag, steps, fan_out=fan_out, force=True)
    assert status == 0
    status, remote = run(dag, steps, fan_out=fan_out, force=True, executor="dask",
                         scheduler=cluster.scheduler_address)  # fmt: skip
    assert status == 0 and remote != local
    assert profile_results(remote) == profile_results(local)
    assert len(profile_results(remote)) == len(COUNTRIES)
    for name in [f"04_profile-{c}" for c in COUNTRIES]:
        assert (remote / f"{name}.html").is_file()
    entries = json.loads((remote / "manifest.json").read_text())["notebooks"]
    assert {entries[f"04_profile-{c}"]["status"] for c in COUNTRIES} == {"ok"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_scheduler_out_of_reach_is_one_line_and_nothing_is_published(dag, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 2)
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(RunError, match=f"cannot reach the Dask scheduler at {address}"):
        run(dag, STEPS, executor="dask", scheduler=address)
    assert not list((dag / "reports").glob("20*"))
    assert not list((dag / "reports").glob(".partial-*"))


def test_the_dask_executor_needs_a_scheduler(monkeypatch):
    monkeypatch.delenv(executors.SCHEDULER_ENV, raising=False)
    with pytest.raises(executors.ExecutorError, match="needs a scheduler"):
        executors.make("dask", 2)


def test_a_dead_worker_is_named_in_the_failure():
    worker = type("WorkerState", (), {"address": "tcp://10.0.0.7:40101"})()
    killed = distributed.KilledWorker("40_country_profile-MDA", worker, 3)
    assert executors.task_error(killed) == (
        "the worker tcp://10.0.0.7:40101 died while running it (KilledWorker)"
    )


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("garbage://x", "unknown scheme garbage://"),
        ("tcp://127.0.0.1:notaport", "invalid literal for int() with base 10: 'notaport'"),
        ("tcp://127.0.0.1", "missing port number in address '127.0.0.1'"),
        ("127.0.0.1", "missing port number in address '127.0.0.1'"),  # tcp:// by default
    ],
)
def test_a_malformed_scheduler_address_is_one_line_before_any_connection(address, why):
    with pytest.raises(executors.ExecutorError) as err:
        executors.make("dask", 2, address)
    assert str(err.value).startswith(f"not a Dask scheduler address: {address!r} ({why}")
    assert str(err.value).endswith("expected tcp://HOST:PORT")


def test_a_lost_scheduler_is_named_in_the_failure():
    from concurrent.futures import CancelledError

    pool = executors.DaskExecutor.__new__(executors.DaskExecutor)  # not connected
    pool.address = "tcp://10.0.0.7:8786"
    assert executors.task_error(CancelledError(), pool) == (
        "the run lost the Dask scheduler at tcp://10.0.0.7:8786 while this notebook was on it "
        "(CancelledError); run again when it is back"
    )
