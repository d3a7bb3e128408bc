"""An RM's weekly contacts through the API: readable where the RM's clients are."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from attrition.pipeline.plan import PLAN_COLUMNS
from attrition.settings import Settings
from attrition.store import open_store, upgrade_store, write_run
from attrition.store.keys import create_key
from attrition.store.plans import read_plan, write_plan


def _plan() -> pd.DataFrame:
    rows = [
        ("R1", "R1", "B001", 1, "C1", "high", 1.4e8, 0.035, 5e6, "maturity_call", 0.35),
        ("R2", "R2", "B002", 1, "C2", "high", 2e6, 0.05, 1e5, "outflow_call", 0.25),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "assignee",
            "rm_id",
            "branch_id",
            "order",
            "client_id",
            "tier",
            "aum",
            "risk",
            "value_at_risk",
            "action_id",
            "effect",
        ],
    )
    frame = frame.assign(
        action_en="Call",
        action_zh="致电",
        because="maturing_share_1m",
        effect_source="playbook",
        expected_retained=frame["value_at_risk"] * frame["effect"],
    )
    return frame[PLAN_COLUMNS]


@pytest.fixture
def api(tmp_path, scored_run):
    url = f"sqlite:///{tmp_path / 'attrition.db'}"
    upgrade_store(url)
    engine = open_store(url)
    run_id = write_run(engine, scored_run, entities=("rm", "client"))
    write_plan(engine, run_id, _plan())
    write_plan(engine, run_id, _plan())  # planned again: replaced, not doubled
    assert len(read_plan(engine, run_id)) == 2
    keys = {
        "hr": create_key(engine, role="hr")[0],
        "branch_head": create_key(engine, role="branch_head", branches=("B001",))[0],
        "data_scientist": create_key(engine, role="data_scientist")[0],
    }
    with TestClient(create_app(Settings(home=tmp_path, database_url=url))) as client:
        yield client, keys
    engine.dispose()


def test_an_rms_plan_is_read_where_its_clients_may_be_read(api):
    client, keys = api

    def get(role: str, rm: str) -> tuple[int, dict]:
        response = client.get(f"/v1/rms/{rm}/plan", headers={"X-API-Key": keys[role]})
        return response.status_code, response.json()

    status, body = get("branch_head", "R1")
    assert status == 200 and [c["client_id"] for c in body["contacts"]] == ["C1"]
    assert body["contacts"][0]["action_id"] == "maturity_call"
    assert get("branch_head", "R2")[0] == 403
    assert get("branch_head", "R9") == get("branch_head", "R2")  # no probing
    assert get("hr", "R1")[0] == 403  # HR sees RMs, not client lists
    assert get("data_scientist", "R2")[0] == 200 and get("data_scientist", "R9")[0] == 404
