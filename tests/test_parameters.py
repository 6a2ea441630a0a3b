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
