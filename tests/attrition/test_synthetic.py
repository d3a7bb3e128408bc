"""The synthetic bank: contract shape, determinism, mechanisms and event agreement."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from attrition.contracts import PANDAS_DTYPES, TABLES
from attrition.labels import client_outflow_labels, rm_resignation_labels
from attrition.synthetic import GeneratorConfig, MechanismStrengths, generate_bank


def test_every_contract_table_is_written_with_contract_dtypes(small_bank):
    assert set(small_bank.data) == set(TABLES)
    for name, frame in small_bank.data.items():
        assert len(frame) > 0, name
        for col in frame.columns:
            expected = PANDAS_DTYPES[TABLES[name].column(col).dtype]
            assert frame[col].dtype == expected, f"{name}.{col}: {frame[col].dtype}"


def test_client_ids_are_strings_that_keep_leading_zeros(small_bank):
    ids = small_bank.data["clients"]["client_id"]
    assert ids.str.startswith("0").all()
    assert ids.str.len().eq(8).all()


def test_same_seed_gives_the_same_bank_and_another_seed_does_not():
    a = generate_bank(300, seed=5)
    b = generate_bank(300, seed=5)
    c = generate_bank(300, seed=6)
    for name in TABLES:
        pd.testing.assert_frame_equal(a.data[name], b.data[name])
    pd.testing.assert_frame_equal(a.truth["client_hazard"], b.truth["client_hazard"])
    assert not a.data["monthly_balances"]["aum"].equals(c.data["monthly_balances"]["aum"])


def test_generated_bank_passes_validation(small_bank):
    from attrition.validation import validate_tables

    report = validate_tables(small_bank.data.tables, source="synthetic")
    assert report.ok, report.render()


def test_truth_events_are_drawn_from_the_recorded_hazards(small_bank):
    """One hazard per entity-month, events as Bernoulli draws of them: the count of
    events is the sum of the hazards within four standard deviations; an RM leaves at
    most once and has no month after it (a client's outflows may recur). (The hazards
    are logistic, so in (0, 1) by construction: checking that could not fail.)"""
    ch = small_bank.truth["client_hazard"]
    assert not ch.duplicated(["client_id", "month"]).any()
    rh = small_bank.truth["rm_hazard"]
    for frame, hazard, event in (
        (ch, "hazard", "event"),
        (rh, "hazard", "event"),
        (rh, "hazard_involuntary", "event_involuntary"),
    ):
        h = frame[hazard].to_numpy(float)
        expected, sd = h.sum(), np.sqrt((h * (1 - h)).sum())
        assert abs(frame[event].sum() - expected) < 4 * sd, (hazard, frame[event].sum(), expected)
    left = rh["event"] | rh["event_involuntary"]
    assert rh.loc[left].groupby("rm_id").size().max() == 1
    last = rh.groupby("rm_id")["month"].transform("max")
    assert (rh.loc[left, "month"] == last[left]).all()  # no month after leaving
    # realistic annual rates: clients 5-30% a year, RMs 5-35% a year
    assert 0.004 < ch["hazard"].mean() < 0.03
    assert 0.004 < rh["hazard"].mean() < 0.035


def test_truth_events_match_exits_in_the_rms_table(small_bank):
    rh = small_bank.truth["rm_hazard"]
    voluntary = set(rh.loc[rh["event"], "rm_id"])
    rms = small_bank.data["rms"]
    assert voluntary == set(rms.loc[rms["exit_type"] == "voluntary", "rm_id"])


def test_contract_event_definition_recovers_the_generators_outflow_events(small_bank):
    """Labels from the contract's rule agree with the generator's events (12-month horizon)."""
    months = small_bank.config.month_index
    ch = small_bank.truth["client_hazard"]
    events = ch[ch["event"]]
    ev = pd.DataFrame(
        {"client_id": events["client_id"].astype(str), "m": events["month"].array.asi8}
    )
    rates = []
    for as_of in months[3:-12:4]:
        t = as_of.ordinal
        lab = client_outflow_labels(small_bank.data, as_of).xs(as_of, level="as_of")
        within = lab["event"] & (lab["duration"] <= 12)
        label_month = pd.Series(
            np.where(within, lab["duration"] + t, -1), index=lab.index.astype(str)
        )
        first = ev[(ev["m"] > t) & (ev["m"] <= t + 12)].groupby("client_id")["m"].min()
        true_month = first.reindex(label_month.index).fillna(-1).astype(int)
        rates.append((label_month == true_month).mean())
    assert min(rates) >= 0.93, rates
    assert np.mean(rates) >= 0.95, rates


def test_rm_overload_strength_drives_rm_resignation_hazard():
    base = generate_bank(config=GeneratorConfig(n_clients=3000, seed=2, clients_per_rm=400))
    off = generate_bank(
        config=GeneratorConfig(
            n_clients=3000,
            seed=2,
            clients_per_rm=400,
            strengths=MechanismStrengths(rm_overload=0.0),
        )
    )
    assert base.truth["rm_hazard"]["hazard"].mean() > 1.2 * off.truth["rm_hazard"]["hazard"].mean()


def test_rm_departure_raises_the_outflow_hazard_of_the_rms_clients():
    """Clients whose RM resigned last month carry a higher hazard than the rest."""
    bank = generate_bank(config=GeneratorConfig(n_clients=4000, seed=3, clients_per_rm=100))
    a = bank.data["assignments"]
    rms = bank.data["rms"]
    vol = rms.loc[rms["exit_type"] == "voluntary", ["rm_id", "exit_date"]]
    orphaned = a.merge(vol, left_on=["rm_id", "end_date"], right_on=["rm_id", "exit_date"])
    orphaned = orphaned.assign(month=orphaned["exit_date"].dt.to_period("M") + 1)
    ch = bank.truth["client_hazard"]
    hit = ch.merge(orphaned[["client_id", "month"]], on=["client_id", "month"])
    assert len(hit) > 20
    assert hit["hazard"].mean() > 1.5 * ch["hazard"].mean()


def test_resignation_labels_treat_involuntary_exits_as_censoring(small_bank):
    as_of = small_bank.config.month_index[6]
    lab = rm_resignation_labels(small_bank.data, as_of)
    inv = lab[lab["event_type"] == "involuntary"]
    assert len(inv) > 0
    assert not inv["event"].any()


@pytest.mark.parametrize(
    "bad",
    [dict(n_clients=10), dict(months=2), dict(end_month="2026-13")],
    ids=["too-few-clients", "too-few-months", "bad-end-month"],
)
def test_generator_config_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="Invalid GeneratorConfig"):
        GeneratorConfig(**bad)


def test_mechanism_strengths_must_not_be_negative():
    with pytest.raises(ValueError, match="rm_overload must be >= 0"):
        MechanismStrengths(rm_overload=-1)


def test_generating_again_into_its_own_output_keeps_the_users_files(small_bank, tmp_path):
    """The second run replaces the tables it wrote (here CSV by Parquet) and nothing else."""
    from attrition.io import validate_source
    from attrition.synthetic import GENERATE_MARKER, write_bank

    out = tmp_path / "bank"
    write_bank(small_bank, out, fmt="csv")
    (out / "README.txt").write_text("our notes on this bank")
    write_bank(small_bank, out, fmt="parquet")
    assert not list(out.glob("*.csv"))
    assert {p.stem for p in out.glob("*.parquet")} == set(small_bank.data.tables)
    assert (out / "README.txt").read_text() == "our notes on this bank"
    listing = json.loads((out / GENERATE_MARKER).read_text())
    assert (
        listing["seed"] == small_bank.config.seed
        and "truth/client_hazard.parquet" in (listing["files"])
    )
    assert validate_source(str(out)).ok


def test_generating_into_a_folder_of_other_files_is_refused(small_bank, tmp_path):
    from attrition.errors import OutputError
    from attrition.synthetic import write_bank

    out = tmp_path / "mine"
    out.mkdir()
    (out / "clients.parquet").write_text("the user's own table")
    with pytest.raises(OutputError, match="not the output of a previous run"):
        write_bank(small_bank, out)
    assert (out / "clients.parquet").read_text() == "the user's own table"
