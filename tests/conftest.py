"""Shared fixtures: a small synthetic bank generated once per test session, and a
PostgreSQL database per session (the machine's server; skipped when unreachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from attrition.synthetic import SyntheticBank, generate_bank

SMALL_BANK_CLIENTS = 1_500
PG_URL = os.environ.get(
    "ATTRITION_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Torch on one thread for the module (small nets train faster and reproducibly)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL_BANK_SEED = 11


@pytest.fixture(scope="session")
def small_bank() -> SyntheticBank:
    """A 1,500-client synthetic bank over 36 months (about a second to build)."""
    return generate_bank(SMALL_BANK_CLIENTS, seed=SMALL_BANK_SEED)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    url = sa.make_url(PG_URL)
    shown = url.render_as_string(hide_password=True)
    try:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (sa.exc.DBAPIError, ImportError, sa.exc.NoSuchModuleError) as e:
        pytest.skip(f"PostgreSQL at {shown} is unreachable ({type(e).__name__})")
    name = f"attrition_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """URL of the session database, emptied after each test so tests share no state."""
    yield pg_database
    empty_database(pg_database)


@pytest.fixture(scope="session")
def emptied():
    """``emptied(url)`` drops every table of the session database: a wider-scoped
    fixture that used it calls this when done, so the next test starts from nothing."""
    return empty_database


def empty_database(url: str) -> None:
    """Drop every table of the database at ``url``."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for name in sa.inspect(conn).get_table_names():
                conn.exec_driver_sql(f'DROP TABLE "{name}" CASCADE')
    finally:
        engine.dispose()
