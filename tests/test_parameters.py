"""Parameter values checked against the notebooks' defaults before any kernel starts."""

import signal

import pytest

from analysis.run import cli, parameters


@pytest.fixture(autouse=True)
def sigterm_handler():
    """cli.main installs a SIGTERM handler; the test process gets its own back."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        (2023, '"2025"', "2023"),  # YAML reads -p glotip_vintage=2023 as a number
        ("2023", '"2025"', "2023"),
        ([2025], '["2025", "2023"]', ["2025"]),
        (["UKR", 1], "[]", ["UKR", "1"]),
        (12, "10", 12),
        (3, "0.95", 3.0),
        (True, "False", True),
        (None, "None", None),
        ("reports/x", "None", "reports/x"),
    ],
)
def test_values_take_the_type_of_the_default(value, default, expected):
    checked = parameters.check("10_x", "p", value, default)
    assert checked == expected and type(checked) is type(expected)


@pytest.mark.parametrize(
    ("value", "default"),
    [("abc", "10"), (True, "10"), (1.5, "10"), ("yes", "False"), (1, "False"),
     ("2025", '["2025"]'), ([1.5], "[2002, 2021]"), ({"a": 1}, '"x"')],
)  # fmt: skip
def test_a_value_of_the_wrong_type_names_notebook_parameter_and_value(value, default):
    with pytest.raises(parameters.ParameterError, match=r"^10_x: parameter p must be .* got "):
        parameters.check("10_x", "p", value, default)


def test_a_threshold_below_1_is_refused_and_below_10_warned(capsys):
    with pytest.raises(parameters.ParameterError, match="min_cell: the small-cell threshold"):
        parameters.check("10_x", "min_cell", 0, "10")
    assert parameters.check("10_x", "min_cell", 5, "10") == 5
    assert "NOT safe to publish" in capsys.readouterr().err
    parameters.check("10_x", "min_cell", 10, "10")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--jobs", "0"], "at least 1 notebook at once, got 0"),
        (["run", "--jobs", "-1"], "at least 1 notebook at once, got -1"),
        (["run", "--jobs", "two"], "expected a whole number, got 'two'"),
        (["run", "-p", "min_cell=[1"], "min_cell: cannot read the value '[1'"),
        (["run", "-p", "min_cell"], "expected key=value"),
    ],
)
def test_bad_command_lines_end_in_one_line_before_anything_runs(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_parameters_and_countries_are_refused_before_any_kernel(tmp_path, capsys):
    assert cli.main(["run", "-p", "min_cell=abc"]) == 1
    assert "parameter min_cell must be a whole number like its default 10; got 'abc'" in (
        capsys.readouterr().err
    )
    assert cli.main(["run", "--country", "XXX"]) == 1
    assert "not ISO 3166-1 alpha-3 codes of a country: XXX" in capsys.readouterr().err
    params = tmp_path / "params.yaml"
    params.write_text("1: 5\n")
    assert cli.main(["run", "--params", str(params)]) == 1
    assert "parameter names are text; got 1" in capsys.readouterr().err
    params.write_text("10_victim_trends:\n  2: x\n")
    assert cli.main(["run", "--params", str(params)]) == 1
    assert "10_victim_trends: parameter names are text; got 2" in capsys.readouterr().err


def test_sigterm_ends_the_command_with_143_and_one_line(monkeypatch, capsys):
    from analysis.run import lifetime, runner

    def terminated(options):
        raise lifetime.Terminated()

    monkeypatch.setattr(runner, "run", terminated)
    assert cli.main(["run", "--only", "00_data_sources"]) == 143
    assert capsys.readouterr().err.strip() == (
        "terminated: nothing was published; earlier outputs are intact"
    )
