"""The scenario: presets, overrides from Python / file, and clear errors."""

import json
import re

import pytest

from synthetic.errors import ParameterError
from synthetic.scenario import KNOWN_KEYS, build_scenario, describe_parameters, read_override_file

ISSUE_KEYS = [
    "outsourcing.start",
    "outsourcing.satisfaction_effect",
    "outsourcing.complaint_growth",
    "market.share_before",
    "market.share_after",
    "supply.inventory_days",
    "supply.competitor_inventory_days",
    "supply.price_erosion_weekly",
    "segments.key_account_share",
    "spend.top20_share",
    "channels.online_revenue_share",
    "purchase.dropout_mean",
]


def test_case_preset_plants_the_case_numbers():
    sc = build_scenario("case")
    assert sc.market.share_before == 0.282 and sc.market.share_after == 0.288
    assert sc.outsourcing.satisfaction_effect == -5 and sc.outsourcing.complaint_growth == 0.23
    assert sc.supply.inventory_days == 4 and sc.supply.competitor_inventory_days == 80
    assert sc.spend.top20_share == 0.8 and sc.channels.online_revenue_share == 0.25


def test_history_preset_plants_the_public_record():
    sc = build_scenario("history")
    assert sc.satisfaction.firm_by_year[2000] == 80 and sc.crisis.satisfaction_drop < 0
    assert str(sc.outsourcing.return_date) == "2003-11-24"
    assert sc.outsourcing.complaint_growth == 0.23


@pytest.mark.parametrize("key", ISSUE_KEYS)
def test_every_issue_key_exists_and_is_documented_with_a_claim(key):
    assert key in KNOWN_KEYS
    row = next(r for r in describe_parameters() if r["key"] == key)
    assert row["description"]


def test_mechanism_parameters_name_their_claims():
    docs = {r["key"]: r["description"] for r in describe_parameters()}
    for key in ISSUE_KEYS[1:]:
        assert re.search(r"\b[A-D]\d{1,2}\b", docs[key]), f"{key} names no claim id"


def test_overrides_apply_and_follow():
    sc = build_scenario("case", {"spend.top20_share": 0.6, "outsourcing.start": "2003-01-01"})
    assert sc.spend.top20_share == 0.6 and str(sc.outsourcing.start) == "2003-01-01"


@pytest.mark.parametrize(
    "overrides, key, words",
    [
        ({"spend.top20": 0.5}, "spend.top20", "unknown parameter"),
        ({"spend.top20_share": 1.5}, "spend.top20_share", "<= 0.95"),
        ({"purchase.dropout_mean": -0.1}, "purchase.dropout_mean", ">= 0.001"),
        ({"market.share_before": "lots"}, "market.share_before", "valid number"),
        (
            {"segments.mix": {"consumer": 0.9, "small_business": 0.3, "large_enterprise": 0.05, "public_sector": 0.05}},
            "segments.mix",
            "sum to 1",
        ),
        ({"world.end": "1999-12-31"}, "world.end", "after world.start"),
        ({"purchase.dropout_mean": 0.001}, "purchase.dropout_concentration", "must be >= 0.1"),
        ({"outsourcing.start": "2012-01-01"}, "outsourcing.start", "between"),
        ({"outsourcing.segments": ["martians"]}, "outsourcing.segments", "unknown value"),
    ],
)
def test_bad_overrides_name_the_parameter_and_the_range(overrides, key, words):
    with pytest.raises(ParameterError) as err:
        build_scenario("case", overrides)
    assert err.value.parameter == key
    assert words in str(err.value) and "\n" not in str(err.value)


def test_unknown_preset():
    with pytest.raises(ParameterError, match="allowed: case, history"):
        build_scenario("dell2099")


def test_override_files_yaml_and_json(tmp_path):
    y = tmp_path / "w.yml"
    y.write_text("outsourcing:\n  satisfaction_effect: -2\nspend.top20_share: 0.7\n")
    j = tmp_path / "w.json"
    j.write_text(json.dumps({"market": {"share_after": 0.3}}))
    assert build_scenario("case", read_override_file(y)).outsourcing.satisfaction_effect == -2
    assert build_scenario("case", read_override_file(y)).spend.top20_share == 0.7
    assert build_scenario("case", read_override_file(j)).market.share_after == 0.3
    bad = tmp_path / "bad.yml"
    bad.write_text("outsourcing: [unclosed\n")
    with pytest.raises(ParameterError, match="not valid YAML/JSON"):
        read_override_file(bad)
    with pytest.raises(ParameterError, match="mapping"):
        (tmp_path / "list.yml").write_text("- 1\n- 2\n")
        read_override_file(tmp_path / "list.yml")


def test_data_dictionary_in_docs_is_current():
    from pathlib import Path

    from synthetic.schema import TABLES, data_dictionary

    doc = (Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert doc.strip() == data_dictionary().strip(), (
        "regenerate with: python -m synthetic --dictionary docs/data-dictionary.md"
    )
    for name, (_, cols) in TABLES.items():
        assert all(f"`{c.name}`" in doc for c in cols), name


def test_history_preset_reproduces_the_acsi_shape(world_dir):
    import synthetic

    w = synthetic.load("history", seed=7, n_customers=2_000, data_dir=world_dir)
    idx = (
        w.sql("select substr(quarter, 1, 4)::int y, avg(score) i from surveys where brand = 'Dell' group by 1")
        .set_index("y")
        .i
    )
    assert idx[2004] > idx[2002]  # rose during the offshore build-up
    assert idx[2005] < idx[2004] - 3  # fell with the 2005 queue crisis
    assert idx[2006] > idx[2005] + 2  # recovered
