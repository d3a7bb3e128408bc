"""A branch's at-risk list and summary: scope, keyset pages, one audit row per list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from attrition.settings import Settings
from attrition.store import open_store, upgrade_store, write_run
from attrition.store.audit import export_audit
from attrition.store.keys import create_key

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _bigger(run, n: int = 120):
    """The test run plus ``n`` clients of branch B001 with distinct values at risk, and
    some ties and unknowns, to page through."""
    template = run.scores[run.scores["id"] == "C1"]
    extra = pd.concat([template] * n, ignore_index=True)
    extra["id"] = [f"X{i:04d}" for i in range(n)]
    values = np.round(np.linspace(1e6, 1e3, n), -2)
    values[10:14] = values[10]  # ties break by id
    values[-5:] = np.nan  # unknown comes last
    extra["value_at_risk"] = values
    extra["tier"] = np.where(np.arange(n) < 30, "high", "medium")
    scores = pd.concat([run.scores, extra], ignore_index=True)
    return type(run)(scores, run.drivers, run.actions)


@pytest.fixture(params=BACKENDS)
def api(request, tmp_path, scored_run):
    url = (
        f"sqlite:///{tmp_path / 'attrition.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade_store(url)
    engine = open_store(url)
    write_run(engine, _bigger(scored_run), entities=("rm", "client"))
    keys = {
        role: create_key(engine, role=role, branches=branches)[0]
        for role, branches in (
            ("hr", ()),
            ("branch_head", ("B001",)),
            ("data_scientist", ()),
            ("service", ("B001",)),
            ("admin", ()),
        )
    }
    with TestClient(create_app(Settings(home=tmp_path, database_url=url))) as client:
        yield client, keys, engine
    engine.dispose()


# role -> (own branch B001, other branch B002, nonexistent B999) for each request
ACCESS = {
    "at-risk?entity=client": {
        "hr": (403, 403, 403),
        "branch_head": (200, 403, 403),
        "data_scientist": (200, 200, 404),
        "service": (200, 403, 403),
        "admin": (403, 403, 403),
    },
    "at-risk?entity=rm": {
        "hr": (200, 200, 404),
        "branch_head": (403, 403, 403),
        "data_scientist": (200, 200, 404),
        "service": (200, 403, 403),
        "admin": (403, 403, 403),
    },
    "summary": {
        "hr": (200, 200, 404),
        "branch_head": (200, 403, 403),
        "data_scientist": (200, 200, 404),
        "service": (200, 403, 403),
        "admin": (403, 403, 403),
    },
}


@pytest.mark.parametrize("request_path", list(ACCESS))
def test_each_role_reads_only_the_branches_in_its_scope(api, request_path):
    client, keys, _ = api
    for role, wants in ACCESS[request_path].items():
        bodies = []
        for branch, want in zip(("B001", "B002", "B999"), wants, strict=True):
            path, _, query = request_path.partition("?")
            url = f"/v1/branches/{branch}/{path}" + (f"?{query}" if query else "")
            response = client.get(url, headers={"X-API-Key": keys[role]})
            assert response.status_code == want, (role, request_path, branch, response.json())
            if want == 403:
                bodies.append(response.json())
        assert all(b == bodies[0] for b in bodies)  # no branch probing


def test_pages_follow_the_value_at_risk_and_cover_the_branch_exactly_once(api):
    client, keys, engine = api
    headers = {"X-API-Key": keys["branch_head"]}
    seen, cursor, pages = [], None, 0
    while True:
        url = "/v1/branches/B001/at-risk?entity=client&limit=50"
        page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers).json()
        seen += [(i["id"], i["value_at_risk"]) for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ids = [i for i, _ in seen]
    assert pages == 3 and len(ids) == len(set(ids)) == 121  # C1 and the 120 others
    known = [v for _, v in seen if v is not None]
    assert known == sorted(known, reverse=True) and seen[-1][1] is None
    tied = [i for i, v in seen if v == seen[10][1]]
    assert tied == sorted(tied)
    high = client.get(
        "/v1/branches/B001/at-risk?entity=client&tier=high&limit=500", headers=headers
    ).json()
    assert {i["tier"] for i in high["items"]} == {"high"} and len(high["items"]) == 31
    lists = export_audit(engine)
    lists = lists[lists["action"] == "GET /v1/branches/{id}/at-risk"]
    assert len(lists) == 4 and list(lists["count"][:3]) == [50, 50, 21]
    bad = client.get("/v1/branches/B001/at-risk?cursor=not-ours", headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.json()["details"]


def test_the_summary_counts_by_tier_and_shows_rms_only_as_counts(api):
    client, keys, _ = api
    body = client.get("/v1/branches/B001/summary", headers={"X-API-Key": keys["branch_head"]})
    body = body.json()
    assert body["clients"]["high"]["entities"] == 31 and body["clients"]["high"]["aum"] > 0
    assert body["rms"] == {"high": {"entities": 1, "aum": None, "value_at_risk": None}}
    assert "R1" not in str(body)
