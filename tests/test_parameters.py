"""Parameter values checked against the notebooks' defaults before any kernel starts."""

import pytest

from analysis.run import parameters


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


@pytest.mark.parametrize("name", ["output_dir", "raw_dir", "data_dir", "report_dir"])
def test_a_folder_is_never_a_parameter_of_a_run(name):
    with pytest.raises(parameters.ParameterError, match=rf"^02_x: parameter {name} names a folder"):
        parameters.check("02_x", name, "../../escape02", "None")


def test_a_threshold_above_100_is_refused():
    assert parameters.check("10_x", "min_cell", 100, "10") == 100
    with pytest.raises(parameters.ParameterError, match="at most 100"):
        parameters.check("10_x", "min_cell", 10**6, "10")


def test_a_huge_value_is_quoted_only_in_part():
    bomb = ["lol"] * 9
    for _ in range(6):  # what a YAML alias bomb gives: 9**7 items behind shared references
        bomb = [bomb] * 9
    with pytest.raises(parameters.ParameterError) as refused:
        parameters.check("10_x", "years", bomb, "[2002, 2021]")
    assert len(str(refused.value)) < 300
