"""The service's PostgreSQL role: it reads the store and appends to the audit log, and
cannot change a past row, drop the triggers or alter a table; the API runs under it."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from attrition.cli import app as cli
from attrition.settings import Settings
from attrition.store import StoreError, open_store, upgrade_store, write_run
from attrition.store import roles as store_roles
from attrition.store.audit import export_audit, record
from attrition.store.keys import create_key
from attrition.store.roles import grant_app_role

PASSWORD = "s3cret-pw-" + uuid.uuid4().hex[:8]


@pytest.fixture
def store(pg_url, scored_run):
    """A store with a run and an HR key, and a role name no other test uses (dropped
    afterwards, as the cluster keeps roles across databases)."""
    upgrade_store(pg_url)
    engine = open_store(pg_url)
    write_run(engine, scored_run, entities=("rm", "client"))
    key, _ = create_key(engine, role="hr")
    role = f"attrition_app_{uuid.uuid4().hex[:8]}"
    yield pg_url, engine, role, key
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
    engine.dispose()


def _as(url: str, role: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(username=role, password=PASSWORD))


def _refused(engine: sa.Engine, statement: str) -> str:
    """The error PostgreSQL gives ``statement`` (it must fail)."""
    with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
        conn.exec_driver_sql(statement)
    return str(caught.value.orig)


@pytest.mark.postgres
def test_the_app_role_reads_and_appends_but_cannot_change_past_rows_or_the_schema(store):
    url, owner, role, _ = store
    done = grant_app_role(url, role, PASSWORD)
    assert done.created and done.password_set and "audit_log" in done.appends
    assert {"scores", "scoring_runs", "api_keys", "audit_log", "alembic_version"} <= set(done.reads)
    app = _as(url, role)
    try:
        with app.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM scores").scalar() == 4
            record(conn, action="test append", entity_ids=["R1"])
        assert export_audit(owner)["action"].iloc[-1] == "test append"
        denied = "permission denied"  # refused by privileges, before any trigger
        assert denied in _refused(app, "UPDATE audit_log SET outcome = 'x'")
        assert denied in _refused(app, "DELETE FROM audit_log")
        assert denied in _refused(app, "TRUNCATE audit_log")
        owner_only = "must be owner"
        assert owner_only in _refused(app, "DROP TRIGGER audit_log_append_only ON audit_log")
        assert owner_only in _refused(app, "ALTER TABLE audit_log DISABLE TRIGGER ALL")
        assert owner_only in _refused(app, "DROP TABLE audit_log")
        assert denied in _refused(app, "CREATE TABLE mine (x int)")
        assert denied in _refused(app, "UPDATE scores SET tier = 'low'")
        assert denied in _refused(app, "DELETE FROM scoring_runs")
        # minting a key or a fake scoring run is the owner's job, not the service's
        assert denied in _refused(app, "INSERT INTO api_keys (key_id) VALUES ('x')")
        assert denied in _refused(app, "INSERT INTO scoring_runs (run_id) VALUES (99)")
    finally:
        app.dispose()
    with owner.connect() as conn:  # a SCRAM verifier is stored, never the password
        stored = conn.execute(
            sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}
        ).scalar_one()
    assert stored.startswith("SCRAM-SHA-256$") and PASSWORD not in stored


@pytest.mark.postgres
def test_the_api_runs_as_the_app_role_and_audits_its_reads(store, tmp_path):
    url, owner, role, key = store
    grant_app_role(url, role, PASSWORD)
    service_url = _as(url, role).url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(home=tmp_path, database_url=service_url))) as client:
        response = client.get("/v1/rms/R1/risk", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200 and response.json()["id"] == "R1"
        # the role reads the store's schema and runs (the run's models are not in this
        # home, which readyz names)
        missing = set(client.get("/readyz").json()["details"])
        assert missing == {"client_outflow@1", "rm_resignation@1"}
    reads = export_audit(owner)
    reads = reads[reads["action"] == "GET /v1/rms/{id}/risk"]
    assert list(reads["outcome"]) == ["ok"] and list(reads["entity_ids"]) == ["R1"]


@pytest.mark.postgres
def test_granting_again_is_safe_and_covers_tables_added_since(store, monkeypatch):
    url, owner, role, _ = store
    first = grant_app_role(url, role, PASSWORD)
    # a later migration adds a table the service appends to
    monkeypatch.setattr(store_roles, "SERVICE_APPENDS", (*store_roles.SERVICE_APPENDS, "later"))
    with owner.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE later (id serial PRIMARY KEY, note text)")
    app = _as(url, role)
    try:
        assert "permission denied" in _refused(app, "INSERT INTO later (note) VALUES ('a')")
        again = grant_app_role(url, role)  # no password: the one set stays
        assert not again.created and not again.password_set
        assert set(again.reads) == {*first.reads, "later"}
        assert again.appends == (*first.appends, "later")
        with app.begin() as conn:
            conn.exec_driver_sql("INSERT INTO later (note) VALUES ('a')")
            assert conn.exec_driver_sql("SELECT count(*) FROM later").scalar() == 1
        assert "permission denied" in _refused(app, "UPDATE later SET note = 'b'")
    finally:
        app.dispose()


@pytest.mark.postgres
def test_the_owner_a_superuser_or_a_bad_name_is_refused(store):
    url, owner, role, _ = store
    with pytest.raises(StoreError, match="'postgres' is the store's owner"):
        grant_app_role(url, "postgres")
    with pytest.raises(StoreError, match="not a plain PostgreSQL role name"):
        grant_app_role(url, 'x"; DROP TABLE audit_log; --')
    with owner.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" SUPERUSER')
    with pytest.raises(StoreError, match=f"'{role}' is a superuser"):
        grant_app_role(url, role)
    with owner.begin() as conn:
        conn.exec_driver_sql(f'ALTER ROLE "{role}" NOSUPERUSER')
        conn.exec_driver_sql(f'GRANT postgres TO "{role}"')
    with pytest.raises(StoreError, match="member of the owner's role 'postgres'"):
        grant_app_role(url, role)


@pytest.mark.postgres
def test_the_command_makes_the_role_with_the_password_from_the_environment(store, monkeypatch):
    url, _, role, _ = store
    monkeypatch.setenv("ATTRITION_DATABASE_URL", url)
    monkeypatch.setenv("ATTRITION_APP_ROLE_PASSWORD", PASSWORD)
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "grant-app-role", role])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"Role {role} (created, password set)" in said
    assert "appends to audit_log" in said and f"{role}:PASSWORD@" in said
    assert PASSWORD not in result.output
    again = runner.invoke(cli, ["db", "grant-app-role", role])
    assert again.exit_code == 0 and f"Role {role} (exists, password set)" in again.output


def test_a_sqlite_store_has_no_app_role(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade_store(url)
    with pytest.raises(StoreError, match="only on PostgreSQL"):
        grant_app_role(url, "attrition_app")
