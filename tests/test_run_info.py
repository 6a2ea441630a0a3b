"""What the runner tells each report about its run: run id, date, commit and the datasets it
rests on (plain names of the vintages its parameters choose), on the real DAG."""

from __future__ import annotations

from analysis.data import paths
from analysis.run import runner
from analysis.run.report_page import source_label
from analysis.run.steps import STEPS


def real_run(tmp_path) -> runner.Run:
    tasks = runner.expand(runner.resolve_steps(paths.notebooks_dir()), {})
    return runner.Run(runner.RunOptions(), tasks, tmp_path, None, {})


def test_a_report_rests_on_the_raw_sources_of_the_tables_it_reads():
    steps = {s.notebook: s for s in STEPS}
    ctdc = ["ctdc_synthetic_2021", "ctdc_kanon_2021", "ctdc_global_2020"]
    assert runner.used_raw_sources(steps["10_victim_trends"], steps) == [
        *ctdc,
        "glotip_2025",
        "glotip_2023",
    ]  # glotip: only the GLOTIP files of the enforcement cleaning, not US TIP or Eurostat
    given = {"release": "kanon_2021", "vintages": ["2023"], "n": 3}
    chosen = runner.chosen_vintages([*ctdc, "glotip_2025", "glotip_2023", "mse_tables"], given)
    assert chosen == ["ctdc_kanon_2021", "glotip_2023", "mse_tables"]
    assert runner.chosen_vintages(ctdc, {}) == ctdc


def test_run_info_names_the_run_commit_and_chosen_vintages(tmp_path):
    run = real_run(tmp_path)
    task = run.tasks["10_victim_trends"]
    info = run.run_info(task, {})
    assert info.run_id == run.run_id and info.created_utc.endswith(" UTC")
    assert info.data == (source_label("ctdc_kanon_2021"), source_label("glotip_2025"))
    assert run.run_info(task, {"glotip_vintage": "2023"}).data[1] == source_label("glotip_2023")
    commit = run.git["commit"]
    assert info.commit.startswith(commit[:7] if commit else "unknown")
    assert run.run_info(run.tasks["00_data_sources"], {}).data == ("every registered source",)
    for name in runner.used_raw_sources(task.step, {s.notebook: s for s in STEPS}):
        assert "." not in source_label(name)  # dataset names, never file names
