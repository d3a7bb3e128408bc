"""What-if questions start from the stored inputs and give back the stored risk when
nothing changes; actionable features move the risk, the others are refused."""

from __future__ import annotations

import numpy as np
import pytest

from attrition.errors import WhatIfError
from attrition.features.catalogue import CATALOGUE
from attrition.pipeline.whatif import levers, what_if
from attrition.registry import ModelRegistry
from attrition.results import RISK_COLUMNS
from attrition.store import open_store, write_run
from attrition.store.inputs import read_inputs


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def stored(request, scoring, tmp_path_factory, emptied):
    """The package's scoring run written to a store; (engine, run_id)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('whatif') / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_database")
    engine = open_store(url, create=True)
    run_id = write_run(engine, scoring, entities=("rm", "client"))
    yield engine, run_id
    engine.dispose()
    if request.param == "postgresql":
        emptied(url)


def _record(home, scoring, entity: str):
    row = scoring.scores[scoring.scores["entity_type"] == entity].iloc[0]
    return ModelRegistry(home).get(f"{row['model']}@{row['model_version']}")


@pytest.mark.parametrize("entity", ["client", "rm"])
def test_the_stored_inputs_give_back_the_stored_risk(stored, scoring, home, entity):
    engine, run_id = stored
    record = _record(home, scoring, entity)
    scores = scoring.scores[scoring.scores["entity_type"] == entity].set_index("id")
    for entity_id in scores.index[:5]:
        inputs = read_inputs(engine, run_id, entity, entity_id)
        assert inputs is not None
        lever = levers(entity, record)[0]
        answer = what_if(
            record, entity, entity_id, inputs, {lever: float(inputs[lever])}, horizon=3
        )
        stored_risk = scores.loc[entity_id, RISK_COLUMNS].to_numpy(dtype=float)
        np.testing.assert_allclose(answer.before.to_numpy(dtype=float), stored_risk, rtol=1e-12)
        np.testing.assert_allclose(answer.after.to_numpy(dtype=float), stored_risk, rtol=1e-12)


def test_the_levers_the_model_leans_on_move_the_risk_and_the_answer_says_what_changed(
    stored, scoring, home
):
    engine, run_id = stored
    record = _record(home, scoring, "client")
    clients = scoring.scores[scoring.scores["entity_type"] == "client"]["id"][:6]
    moved = {}
    for lever in levers("client", record):
        bounds = CATALOGUE["client"][lever].actionable
        top = min(bounds.max, 365.0)  # a year without contact, not ten
        change = []
        for entity_id in clients:
            inputs = read_inputs(engine, run_id, "client", entity_id)
            low = what_if(record, "client", entity_id, inputs, {lever: bounds.min}, horizon=3)
            high = what_if(record, "client", entity_id, inputs, {lever: top}, horizon=3)
            assert low.changed["feature"].tolist() == [lever]
            assert high.changed.iloc[0].to_dict() == {
                "feature": lever,
                "before": None if inputs[lever] is None else pytest.approx(float(inputs[lever])),
                "after": top,
                "because": "set",
            }
            assert set(high.drivers["id"]) <= {entity_id}
            change.append(abs(high.after["risk_3m"] - low.after["risk_3m"]))
        moved[lever] = float(np.mean(change))
    # the model was fitted on a bank where contacts and RMs matter: some lever must
    assert max(moved.values()) > 1e-3, moved


def test_a_smaller_book_moves_the_features_computed_from_it(stored, scoring, home):
    engine, run_id = stored
    record = _record(home, scoring, "rm")
    reads = set(record.metadata["feature_names"])
    rm_id = scoring.scores[scoring.scores["entity_type"] == "rm"]["id"].iloc[0]
    inputs = read_inputs(engine, run_id, "rm", rm_id)
    book = float(inputs["book_size"])
    answer = what_if(record, "rm", rm_id, inputs, {"book_size": book / 2}, horizon=3)
    changed = answer.changed.set_index("feature")
    assert changed.loc["book_size", "after"] == pytest.approx(book / 2)
    if "workload" in reads:
        assert changed.loc["workload", "after"] == pytest.approx(float(inputs["workload"]) / 2)
        assert changed.loc["workload", "because"] == "book_size"
    if "contacts_per_client_3m" in reads:
        before = float(inputs["contacts_per_client_3m"])
        assert changed.loc["contacts_per_client_3m", "after"] == pytest.approx(before * 2)


def test_every_problem_with_the_overrides_is_named_at_once(stored, scoring, home):
    engine, run_id = stored
    record = _record(home, scoring, "client")
    entity_id = scoring.scores[scoring.scores["entity_type"] == "client"]["id"].iloc[0]
    inputs = read_inputs(engine, run_id, "client", entity_id)
    not_read = [
        n
        for n, f in CATALOGUE["client"].items()
        if f.actionable and n not in record.metadata["feature_names"]
    ]
    asked = {"aum": 1e6, "days_since_contact": -3, "no_such_feature": 1}
    if not_read:
        asked[not_read[0]] = 1
    with pytest.raises(WhatIfError) as caught:
        what_if(record, "client", entity_id, inputs, asked, horizon=3)
    problems = caught.value.problems
    assert set(problems) == set(asked)
    assert "not an actionable client feature" in problems["aum"]
    assert "from 0 to 3650, got -3" in problems["days_since_contact"]
    if not_read:
        assert "does not read it" in problems[not_read[0]]


def test_a_run_without_inputs_for_an_entity_reads_none(stored):
    engine, run_id = stored
    assert read_inputs(engine, run_id, "client", "no-such-client") is None
