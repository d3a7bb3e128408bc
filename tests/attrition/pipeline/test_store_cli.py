"""`attrition db upgrade`, `attrition score` into the store, `attrition runs list`."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from attrition.cli import app
from attrition.store.engine import head_revision

runner = CliRunner()


def _said(result) -> str:
    return " ".join(result.output.split())


def test_score_writes_a_run_to_the_store_and_runs_list_shows_it_current(
    home, monkeypatch, tmp_path
):
    store = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    monkeypatch.setenv("ATTRITION_DATABASE_URL", store)
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0 and f"revision none → {head_revision()}" in _said(first)
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0 and "is up to date" in _said(again)
    scored = runner.invoke(app, ["score"])
    assert scored.exit_code == 0, scored.output
    assert "to the store as run 1" in _said(scored)
    runs = runner.invoke(app, ["runs", "list"])
    assert runs.exit_code == 0 and "complete (current)" in _said(runs)
    engine = sa.create_engine(store)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM scores WHERE run_id = 1")).scalar()
    engine.dispose()
    assert n > 0


def test_score_with_a_store_on_an_old_schema_is_refused_before_any_work(
    home, monkeypatch, tmp_path
):
    store = f"sqlite:///{tmp_path / 'old.db'}"
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    monkeypatch.setenv("ATTRITION_DATABASE_URL", store)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = sa.create_engine(store)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    result = runner.invoke(app, ["score"])
    assert result.exit_code == 1
    said = _said(result)
    assert "schema revision 0000" in said and "run `attrition db upgrade`" in said
    assert "Scores at" not in said  # refused before scoring


def test_score_without_a_store_creates_it_on_first_use(home, monkeypatch, tmp_path):
    monkeypatch.setenv("ATTRITION_HOME", str(home))
    monkeypatch.setenv("ATTRITION_DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'a.db'}")
    result = runner.invoke(app, ["score", "--target", "rm"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "a.db").is_file()


def test_keys_create_list_revoke_and_audit_export_from_the_command_line(
    home, monkeypatch, tmp_path
):
    import pandas as pd

    monkeypatch.setenv("ATTRITION_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(
        app, ["keys", "create", "--role", "branch_head", "--branch", "B001", "--name", "Li"]
    )
    assert made.exit_code == 0, made.output
    key = next(w for w in made.output.split() if w.startswith("atk_"))
    key_id = key.split("_")[1]
    listed = runner.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0 and key_id in listed.output and key not in listed.output
    bad = runner.invoke(app, ["keys", "create", "--role", "branch_head"])
    assert bad.exit_code == 1 and "needs its branch" in _said(bad)
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"]).output
    out = tmp_path / "audit.csv"
    exported = runner.invoke(app, ["audit", "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    log = pd.read_csv(out)
    assert list(log["action"]) == ["keys create", "keys revoke"]
    assert key.split("_", 2)[2] not in out.read_text()
