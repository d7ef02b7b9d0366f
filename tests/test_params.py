"""A chapter's parameters cell: every bad value is one line naming the parameter."""

import pytest

from casebook.analysis.params import check_parameters
from synthetic.errors import ParameterError

GOOD = dict(seed=7, n_customers=20_000, scenario="case", overrides={}, data_dir="DATA", results_path="RES/x.json")


@pytest.mark.parametrize(
    "change, parameter",
    [
        ({"seed": -1}, "seed"),
        ({"seed": "7"}, "seed"),
        ({"n_customers": 500}, "n_customers"),
        ({"n_customers": 2.5}, "n_customers"),
        ({"scenario": "dell2099"}, "scenario"),
        ({"overrides": [1]}, "overrides"),
        ({"overrides": {"spend.top20_share": 2}}, "spend.top20_share"),
        ({"overrides": {"no.key": 1}}, "no.key"),
        ({"results_path": "RES/x.csv"}, "results_path"),
        ({"data_dir": "/proc/forbidden"}, "data_dir"),
    ],
)
def test_bad_parameters_are_named(tmp_path, change, parameter):
    args = {**GOOD, "data_dir": str(tmp_path / "d"), "results_path": str(tmp_path / "r" / "x.json")}
    args.update(
        {
            k: (v.replace("RES", str(tmp_path)) if isinstance(v, str) and v.startswith("RES") else v)
            for k, v in change.items()
        }
    )
    with pytest.raises(ParameterError) as err:
        check_parameters(**args)
    assert err.value.parameter == parameter and "\n" not in str(err.value)
    assert not (tmp_path / "d").exists()


def test_good_parameters_give_the_scenario(tmp_path):
    sc = check_parameters(
        7, 20_000, "history", {"outsourcing.satisfaction_effect": 0}, str(tmp_path / "d"), str(tmp_path / "x.json")
    )
    assert sc.preset == "history" and sc.outsourcing.satisfaction_effect == 0
