"""Arguments, optional tables, specs and errors of the public feature API."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from attrition.contracts import BankData
from attrition.errors import ConfigError
from attrition.features import build_features, build_sequences, default_spec, load_spec
from attrition.features.specs import parse_spec

REQUIRED = ("branches", "rms", "clients", "monthly_balances")


@pytest.mark.parametrize("entity", ["client", "rm"])
def test_only_the_required_tables_are_enough(random_bank, entity):
    full = random_bank(0)
    bare = BankData({t: full[t] for t in REQUIRED}, source="bare")
    X = build_features(bare, entity, "2023-03")
    groups = {default_spec(entity).feature(c).group for c in X.columns}
    assert groups.isdisjoint(
        {
            "transactions",
            "payday",
            "holdings",
            "maturities",
            "nav",
            "contacts",
            "reassignment",
            "hr",
        }
    )
    assert len(X) > 0 and len(X.columns) > 0
    assert build_sequences(bare, entity, "2023-03", months=3).values.shape[2] == len(
        X.select_dtypes("number").columns
    )


GROUPS_OF = {
    "transactions": {"transactions", "payday"},
    "holdings": {"holdings", "maturities", "nav"},
    "product_returns": {"nav"},
    "interactions": {"contacts"},
    "assignments": {"reassignment"},
    "rm_monthly": {"hr"},
}


@pytest.mark.parametrize("missing", sorted(GROUPS_OF))
@pytest.mark.parametrize("entity", ["client", "rm"])
def test_each_missing_optional_table_drops_only_its_groups(random_bank, missing, entity):
    full = random_bank(1)
    data = BankData({t: df for t, df in full.items() if t != missing})
    X = build_features(data, entity, "2023-03")
    full_x = build_features(full, entity, "2023-03")
    spec = default_spec(entity)
    dropped = {c for c in full_x.columns if spec.feature(c).group in GROUPS_OF[missing]}
    assert list(X.columns) == [c for c in full_x.columns if c not in dropped]
    if missing != "assignments":  # without assignments, clients.rm_id owns the clients
        pd.testing.assert_frame_equal(X, full_x[X.columns])


def test_optional_columns_may_be_absent(make_bank, balance_rows):
    bank = make_bank(
        monthly_balances=balance_rows("C1", "2024-01", [1, 2]),
        holdings=[
            {
                "client_id": "C1",
                "product_id": "P",
                "product_type": "fund",
                "amount": 1.0,
                "start_date": "2024-01-01",
            }
        ],
    )
    X = build_features(bank, "client", "2024-02")
    assert "deposits_share" not in X.columns and "maturing_share_1m" not in X.columns
    assert "age" not in X.columns and X.loc["C1", "product_count"] == 1


@pytest.mark.parametrize(
    "as_of",
    [
        "2023-03",
        pd.Period("2023-03", freq="M"),
        pd.Timestamp("2023-03-31"),
        dt.date(2023, 3, 1),
        pd.Period("2023-03-15", freq="D"),
    ],
)
def test_as_of_accepts_months_periods_and_dates(random_bank, as_of):
    X = build_features(random_bank(0), "client", as_of)
    assert X.index.name == "client_id" and str(X.index.dtype) == "string"
    pd.testing.assert_frame_equal(X, build_features(random_bank(0), "client", "2023-03"))


def test_a_list_of_as_of_months_stacks_landmark_rows(random_bank):
    X = build_features(random_bank(0), "rm", ["2022-06", "2023-03"])
    assert X.index.names == ["rm_id", "as_of"]
    assert isinstance(X.index.get_level_values("as_of").dtype, pd.PeriodDtype)
    assert X.dtypes.eq("float64").all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"entity": "branch"}, "entity 'branch' is not one of", id="entity"),
        pytest.param({"as_of": "not a month"}, "is not a month", id="bad-month"),
        pytest.param({"as_of": "2031-01"}, "after the last month with balance data", id="future"),
        pytest.param({"as_of": []}, "empty list", id="empty"),
        pytest.param({"spec": "rm"}, "spec is for entity 'rm'", id="wrong-spec"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(random_bank, kwargs, match):
    args = {"entity": "client", "as_of": "2023-01", **kwargs}
    if args.get("spec") == "rm":
        args["spec"] = default_spec("rm")
    with pytest.raises(ConfigError, match=match):
        build_features(random_bank(0), args.pop("entity"), args.pop("as_of"), **args)


def _raw(**feature):
    base = {
        "name": "x",
        "source": "aum",
        "primitive": "change",
        "window": 3,
        "unit": "ratio",
        "group": "balances",
        "risk": "down",
        "en": "X",
        "zh": "某",
    }
    return {
        "entity": "client",
        "table": "clients",
        "id": "client_id",
        "start": "open_date",
        "end": "closed_date",
        "presence": "aum",
        "peers": {"segment": "segment"},
        "features": [{**base, **feature}],
    }


@pytest.mark.parametrize(
    ("feature", "match"),
    [
        pytest.param({"primitive": "median"}, "primitive 'median' is unknown", id="primitive"),
        pytest.param({"window": None}, "needs an integer 'window'", id="window"),
        pytest.param({"unit": "euros"}, "unit 'euros' is not one of", id="unit"),
        pytest.param({"risk": "sideways"}, "risk 'sideways'", id="risk"),
        pytest.param({"primitive": "peer_ratio", "peers": "branch"}, "needs 'peers'", id="peers"),
        pytest.param({"params": {"smooth": 2, "alpha": 1}}, r"params \['alpha'\]", id="params"),
        pytest.param({"colour": "red"}, r"unknown keys \['colour'\]", id="key"),
        pytest.param({"en_value": "no placeholder"}, "placeholder", id="template"),
        pytest.param({"actionable": {"min": 5, "max": 1}}, "min < max", id="lever-bounds"),
        pytest.param({"actionable": {"max": 1}}, "mapping with min, max", id="lever-keys"),
        pytest.param(
            {"actionable": {"min": 0, "max": 1, "moves": {"x": "double"}}},
            "must be one of",
            id="lever-rule",
        ),
        pytest.param(
            {"actionable": {"min": 0, "max": 1, "moves": {"nope": "scale"}}},
            r"moves unknown features \['nope'\]",
            id="lever-target",
        ),
    ],
)
def test_bad_specs_are_refused(feature, match):
    with pytest.raises(ConfigError, match=match):
        parse_spec(_raw(**feature))


def test_a_custom_spec_computes_only_its_features(random_bank, tmp_path):
    import yaml

    path = tmp_path / "mine.yaml"
    path.write_text(
        yaml.safe_dump(_raw(source="external_out", primitive="rolling_sum")), encoding="utf-8"
    )
    spec = load_spec(path)
    X = build_features(random_bank(0), "client", "2023-03", spec=spec)
    assert list(X.columns) == ["x"]
    bad = parse_spec(_raw(source="no_such_panel"))
    with pytest.raises(ConfigError, match="reads panel 'no_such_panel'"):
        build_features(random_bank(0), "client", "2023-03", spec=bad)
    with pytest.raises(ConfigError, match="cannot read feature spec"):
        load_spec(tmp_path / "absent.yaml")
