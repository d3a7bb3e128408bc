"""Where the store lives, how to open it, and whether its schema is the one needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from attrition.errors import AttritionError
from attrition.io.source import describe_source
from attrition.io.sql import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
STORE_FILE = "attrition.db"


class StoreError(AttritionError):
    """The store cannot be used as it is (missing, old schema, unreachable)."""


class NoStoreError(StoreError):
    """There is no store yet (nothing has been scored into it)."""


POOL_SIZE = 40


def default_store_url(home: str | Path, url: str | None = None) -> str:
    """``url`` (``ATTRITION_DATABASE_URL``) or the SQLite file in ``home``."""
    if url:
        return url
    return f"sqlite:///{Path(home).resolve() / STORE_FILE}"


def _engine(url: str, *, create: bool) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db = Path(parsed.database)
        if create:
            db.parent.mkdir(parents=True, exist_ok=True)
        elif not db.is_file():
            raise NoStoreError(
                f"there is no store at {db}; create it with `attrition db upgrade`"
            )
    # the risk API's threads (anyio's pool: 40) each hold a connection while they read;
    # a smaller pool would open and close connections under load (and on SQLite rerun
    # the pragmas, which take a lock, for each)
    engine = make_engine(url, for_write=True, pool_size=POOL_SIZE, max_overflow=POOL_SIZE)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (the API, the reports) never wait for a scoring run being written
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _config(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The schema revision this version of the library needs."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def schema_revision(engine: sa.Engine) -> str | None:
    """The store's schema revision (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_store(url: str) -> tuple[str | None, str]:
    """Create or migrate the store's schema to the head; returns (before, after)."""
    engine = _engine(url, create=True)
    try:
        before = schema_revision(engine)
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
        return before, head_revision()
    finally:
        engine.dispose()


def check_store(url: str) -> None:
    """Refuse now what :func:`open_store` with ``create`` would refuse later (a store
    on another schema, an unreachable database), writing nothing: a store that does not
    exist yet is fine, it is created on first write."""
    parsed = sa.make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(file).is_file():
        return
    engine = _engine(url, create=False)
    try:
        if schema_revision(engine) is None and not sa.inspect(engine).get_table_names():
            return
    except sa.exc.DBAPIError as exc:
        raise StoreError(
            f"the store at {describe_source(url)} cannot be reached: {exc.orig}"
        ) from None
    finally:
        engine.dispose()
    open_store(url).dispose()


def open_store(url: str, *, create: bool = False) -> sa.Engine:
    """An engine on the store, refused unless its schema is the one this version needs.

    ``create``: a store that does not exist yet (no file, or a database without any
    schema) is created at the current schema; one at another schema is still refused.

    Raises
    ------
    StoreError
        No store, an empty database, or a schema older (or newer) than this version's,
        naming the command to run.
    """
    shown = describe_source(url)
    if create:
        fresh = _engine(url, create=True)
        try:
            if schema_revision(fresh) is None and not sa.inspect(fresh).get_table_names():
                upgrade_store(url)
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"the store at {shown} cannot be reached: {exc.orig}") from None
        finally:
            fresh.dispose()
    engine = _engine(url, create=False)
    try:
        current = schema_revision(engine)
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise StoreError(f"the store at {shown} cannot be reached: {exc.orig}") from None
    head = head_revision()
    if current != head:
        engine.dispose()
        have = "has no schema yet" if current is None else f"has schema revision {current}"
        raise StoreError(
            f"the store at {shown} {have}; this version of attrition needs revision {head}: "
            "run `attrition db upgrade`"
        )
    return engine
