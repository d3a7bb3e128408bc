"""Scoring a bank: RMs then clients, the output contract, tiers, value at risk, words."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from attrition.cli import app
from attrition.errors import ConfigError
from attrition.features import build_features
from attrition.io import write_parquet
from attrition.labels import outflow_population
from attrition.pipeline.score import client_owners, entity_branches, score_bank
from attrition.playbook import load_playbook
from attrition.results import SCORE_COLUMNS


def test_one_row_per_entity_rms_first_with_the_output_columns(scored_bank, scores):
    assert list(scores.columns) == [*SCORE_COLUMNS, "drivers", "actions"]
    last = scored_bank.data.last_month
    assert (scores["as_of"] == str(last)).all()
    types = scores["entity_type"].tolist()
    assert types == sorted(types, key=lambda t: t != "rm")  # RMs first
    rms = build_features(scored_bank.data, "rm", [last]).index.get_level_values(0)
    assert sorted(scores.loc[scores["entity_type"] == "rm", "id"]) == sorted(rms.astype(str))
    # clients: those with data at the as-of who can still move money out
    with_data = build_features(scored_bank.data, "client", [last]).index.get_level_values(0)
    at_risk = set(outflow_population(scored_bank.data, last))
    want = sorted(str(c) for c in with_data if c in at_risk)
    assert 0 < len(want) < len(with_data)
    assert sorted(scores.loc[scores["entity_type"] == "client", "id"]) == want
    assert set(scores["model"]) == {"rm_resignation", "client_outflow"}
    assert (scores["model_version"] == 1).all()


def test_each_risk_column_is_the_registered_model_at_its_horizon(scored_bank, scores, home):
    from attrition.registry import ModelRegistry

    last = scored_bank.data.last_month
    months = list(range(1, 13))
    for entity, name in (("rm", "rm_resignation"), ("client", "client_outflow")):
        model = ModelRegistry(home).get(name).load_model()
        X = build_features(scored_bank.data, entity, [last])
        X.index = X.index.get_level_values(0).astype(str)
        got = scores[scores["entity_type"] == entity].set_index("id")
        want = 1.0 - model.predict_survival(X.loc[got.index], months).to_numpy()
        np.testing.assert_allclose(got[[f"risk_{m}m" for m in months]], want, atol=1e-9)


def test_tiers_and_value_at_risk_follow_the_playbook(scored_bank, scores):
    book = load_playbook()
    clients = scores[scores["entity_type"] == "client"].set_index("id")
    rule = book.tiers.client
    by_risk = np.where(
        clients["risk_3m"] >= rule.risk.high,
        2,
        np.where(clients["risk_3m"] >= rule.risk.medium, 1, 0),
    )
    # by value: the top 2% / 10% of each branch's values at risk (rounded up)
    branch = pd.Series(entity_branches(scored_bank.data, "client", clients.index), clients.index)
    rank = clients["value_at_risk"].groupby(branch).rank(ascending=False, method="first")
    n = branch.map(branch.value_counts())
    by_value = np.where(
        rank <= np.ceil(rule.value.high * n - 1e-9),
        2,
        np.where(rank <= np.ceil(rule.value.medium * n - 1e-9), 1, 0),
    )
    want = np.array(["low", "medium", "high"])[np.maximum(by_risk, by_value)]
    np.testing.assert_array_equal(clients["tier"], want)
    aum = build_features(scored_bank.data, "client", [scored_bank.data.last_month])["aum"]
    aum.index = aum.index.get_level_values(0).astype(str)
    np.testing.assert_allclose(
        clients["value_at_risk"], clients["risk_3m"] * aum.reindex(clients.index).fillna(0)
    )
    rms = scores[scores["entity_type"] == "rm"]
    # (its exact value is checked against the book by hand below, in
    # test_rm_value_at_risk_is_the_books_expected_loss_if_the_rm_leaves)
    assert rms["value_at_risk"].notna().all()
    # an RM can only put at risk what their book holds
    owners = client_owners(scored_bank.data, scored_bank.data.last_month)
    book_aum = aum.groupby(owners.reindex(aum.index).to_numpy()).sum()
    assert (rms.set_index("id")["value_at_risk"] <= book_aum.reindex(rms["id"]).fillna(0)).all()


def test_drivers_and_actions_are_json_in_both_languages(scores):
    for _, row in scores.sample(40, random_state=0).iterrows():
        drivers = json.loads(row["drivers"])
        actions = json.loads(row["actions"])
        assert len(drivers) <= 5 and all(d["contribution"] > 0 for d in drivers)
        assert all(d["text_en"] and d["text_zh"] for d in drivers)
        assert 1 <= len(actions) <= 3 and all(a["en"] and a["zh"] for a in actions)
        fired = {a["because"] for a in actions} - {None}
        assert fired <= {d["feature"] for d in drivers}


def test_one_population_a_named_model_and_a_future_month(scored_bank, home):
    rms = score_bank(
        scored_bank.data, home=home, entities=("rm",), models={"rm": "rm_resignation@1"}
    ).scores
    assert set(rms["entity_type"]) == {"rm"} and rms["value_at_risk"].isna().all()
    earlier = scored_bank.data.last_month - 2
    past = score_bank(scored_bank.data, earlier, home=home, entities=("client",)).scores
    assert (past["as_of"] == str(earlier)).all()
    with pytest.raises(ConfigError, match="after the last month with balance data"):
        score_bank(scored_bank.data, scored_bank.data.last_month + 1, home=home)
    with pytest.raises(ConfigError, match="not a client target"):
        score_bank(
            scored_bank.data, home=home, entities=("client",), models={"client": "rm_resignation"}
        )


def test_scores_are_written_atomically(scores, tmp_path, monkeypatch):
    path = write_parquet(scores, tmp_path / "out" / "scores.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), scores)

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        write_parquet(scores.iloc[:5], path)
    assert len(pd.read_parquet(path)) == len(scores)  # the previous file is intact
    assert [p.name for p in path.parent.iterdir()] == ["scores.parquet"]


def test_attrition_score_command_writes_the_file(home, monkeypatch, tmp_path):
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    out = tmp_path / "s.parquet"
    result = CliRunner().invoke(app, ["score", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(out)
    assert list(written.columns) == [*SCORE_COLUMNS, "drivers", "actions"] and len(written) > 0
    assert "Scores at" in result.output
    chosen = tmp_path / "chosen.parquet"
    picked = CliRunner().invoke(app, ["score", "--model", "client_outflow@1", "--out", str(chosen)])
    assert picked.exit_code == 0, picked.output
    assert set(pd.read_parquet(chosen)["entity_type"]) == {"rm", "client"}
    bad = CliRunner().invoke(app, ["score", "--model", "no_such_model"])
    assert bad.exit_code == 1 and "no model named 'no_such_model'" in " ".join(bad.output.split())


def test_a_flat_model_scores_a_table_without_outcomes(tmp_path, monkeypatch):
    from attrition.config import SHIPPED_CONFIGS, load_config
    from attrition.pipeline.train import train

    train(load_config(SHIPPED_CONFIGS / "flat_rossi.yaml"), home=str(tmp_path))
    rossi = pd.read_csv(SHIPPED_CONFIGS / "data" / "rossi.csv")
    new_rows = tmp_path / "new.csv"
    rossi.drop(columns=["week", "arrest"]).head(100).to_csv(new_rows, index=False)
    monkeypatch.setenv("ATTRITION_HOME", str(tmp_path))
    out = tmp_path / "flat.parquet"
    result = CliRunner().invoke(
        app, ["score", "--model", "flat_rossi", "--source", str(new_rows), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    scores = pd.read_parquet(out)
    assert len(scores) == 100 and (scores["entity_type"] == "flat").all()
    assert {"risk_13", "risk_26", "risk_39"} <= set(scores.columns)
    assert (scores["risk_13"] <= scores["risk_39"]).all()
    assert (scores["tier"] == "high").sum() == 10  # the riskiest 10%
    drivers = [d["feature"] for s in scores["drivers"] for d in json.loads(s)]
    assert set(drivers) <= set(rossi.columns) - {"week", "arrest", "person_id"}
    assert (scores["actions"] == "[]").all()


def test_a_slow_to_explain_model_explains_the_tiers_that_get_attention(
    scored_bank, home, monkeypatch, client_model_in
):
    import attrition.pipeline.score as score_module

    client_model_in(home, "client_weibull", {"type": "weibull_aft"})
    monkeypatch.setattr(score_module, "SLOW_EXPLAIN_LIMIT", 10)
    scores = score_bank(
        scored_bank.data, home=home, entities=("client",), models={"client": "client_weibull"}
    ).to_export()
    low = scores["tier"] == "low"
    assert low.any() and (~low).any()
    assert (scores.loc[low, "drivers"] == "[]").all()
    assert (scores.loc[~low, "drivers"] != "[]").any()


def test_rm_value_at_risk_is_the_books_expected_loss_if_the_rm_leaves(
    scored_bank, home, client_model_in
):
    from attrition.features import build_features

    # a linear client model: its "RM left" effect is one coefficient, never zero
    model = client_model_in(
        home, "client_cox", {"type": "coxph", "params": {"penalizer": 0.1}}
    ).load_model()
    scores = score_bank(scored_bank.data, home=home, models={"client": "client_cox"}).scores
    data, month = scored_bank.data, scored_bank.data.last_month
    rms = scores[scores["entity_type"] == "rm"].set_index("id")
    X = build_features(data, "client", [month])
    # the book's clients who still have money to move (those scored)
    X = X[X.index.get_level_values(0).isin(outflow_population(data, month))]
    aum = X["aum"].fillna(0).to_numpy()
    X = X[list(model.feature_names_in_)]
    now = model.predict_risk(X, 3).to_numpy()
    gone = model.predict_risk(X.assign(rm_departed=1.0), 3).to_numpy()
    ids = X.index.get_level_values(0).astype(str)
    owner = client_owners(data, month).reindex(ids).to_numpy()
    exposed = pd.Series(np.clip(gone - now, 0, None) * aum).groupby(owner).sum()
    want = rms["risk_3m"] * exposed.reindex(rms.index).fillna(0)
    assert (want > 0).any()
    np.testing.assert_allclose(rms["value_at_risk"], want, rtol=1e-9)


def test_scores_are_scalar_columns_and_drivers_and_actions_long_tables(scoring, scored_bank):
    from attrition.results import ACTION_COLUMNS, DRIVER_COLUMNS, ScoringResult

    scores, drivers, actions = scoring.scores, scoring.drivers, scoring.actions
    assert list(scores.columns) == SCORE_COLUMNS
    assert list(drivers.columns) == DRIVER_COLUMNS and list(actions.columns) == ACTION_COLUMNS
    text = scores.select_dtypes(include="object")
    assert not text.apply(lambda c: c.astype(str).str.startswith("[")).any().any()  # no JSON
    keys = set(zip(scores["id"], scores["entity_type"], strict=True))
    assert set(zip(drivers["id"], drivers["entity_type"], strict=True)) <= keys
    assert set(zip(actions["id"], actions["entity_type"], strict=True)) == keys
    for table in (drivers, actions):  # ranks 1..n within each entity
        ranks = table.groupby(["id", "entity_type"])["rank"].agg(list)
        assert all(r == list(range(1, len(r) + 1)) for r in ranks)

    # what places each entity: clients by owner, branch, segment and AUM; RMs by grade, book
    data, month = scored_bank.data, scored_bank.data.last_month
    clients = scores[scores["entity_type"] == "client"].set_index("id")
    owners = client_owners(data, month)
    pd.testing.assert_series_equal(
        clients["rm_id"], owners.reindex(clients.index), check_names=False
    )
    table = data["clients"].set_index(data["clients"]["client_id"].astype(str))
    assert (clients["segment"] == table["segment"].astype(str).reindex(clients.index)).all()
    assert (clients["branch_id"] == table["branch_id"].astype(str).reindex(clients.index)).all()
    aum = build_features(data, "client", [month])["aum"]
    aum.index = aum.index.get_level_values(0).astype(str)
    np.testing.assert_allclose(clients["aum"], aum.reindex(clients.index))
    rms = scores[scores["entity_type"] == "rm"].set_index("id")
    book = build_features(data, "rm", [month])[["book_size", "book_aum"]]
    book.index = book.index.get_level_values(0).astype(str)
    np.testing.assert_allclose(rms["book_size"], book["book_size"].reindex(rms.index))
    assert rms["aum"].isna().all() and clients["book_size"].isna().all()

    # the file layout is made at the edge and reads back to the same tables
    back = ScoringResult.from_export(scoring.to_export())
    pd.testing.assert_frame_equal(back.scores, scores)
    pd.testing.assert_frame_equal(back.actions.astype(str), actions.astype(str), check_dtype=False)
    assert back.drivers[["id", "rank", "feature"]].equals(drivers[["id", "rank", "feature"]])


def test_a_client_explained_alone_gets_the_drivers_of_the_bank_wide_run(scoring, home):
    """The background is the model's own (saved at training), not whoever else is
    scored in the same run: one client through `explain_rows` alone (as the risk API
    will score it) gets exactly the drivers the bank-wide `attrition score` gave it."""
    from attrition.pipeline.score import explain_rows
    from attrition.registry import ModelRegistry

    record = ModelRegistry(home).get("client_outflow")
    background = record.background()
    assert background is not None and len(background) == 200
    assert list(background.columns) == list(record.metadata["feature_names"])
    clients = scoring.scores[scoring.scores["entity_type"] == "client"]
    client = clients.sort_values("value_at_risk").iloc[-1]
    wide = scoring.drivers[scoring.drivers["id"] == client["id"]].reset_index(drop=True)
    assert len(wide) > 0
    # the client's model inputs, rebuilt on its own
    from attrition.features import build_features

    X = build_features(_bank(home), "client", [pd.Period(client["as_of"], "M")])
    X = X[list(record.metadata["feature_names"])]
    X.index = X.index.get_level_values(0).astype(str)
    alone = X.loc[[client["id"]]]
    tier = pd.Series([client["tier"]], index=alone.index)
    mine = explain_rows(record.load_model(), alone, tier, "client", 3, record.ref, 5, 0, background)
    pd.testing.assert_frame_equal(mine, wide, check_dtype=False)


def _bank(home):
    from attrition.io import load_bank

    return load_bank(str(home / "bank"))
