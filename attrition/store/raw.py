"""The store's hot paths straight to the database driver: statements built with
SQLAlchemy, compiled once per engine into the driver's own SQL and parameter style,
and run on a pooled raw connection.

The risk API reads one entity and appends one audit row on every request; SQLAlchemy's
per-statement work (building, cache keys, events, result wrapping) cost more than the
database did. Only plain values cross here: no type needing SQLAlchemy's processing
on the way out is read through it, and values going in are processed as SQLAlchemy
would (:meth:`Compiled.params`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


class Compiled:
    """``statement`` in ``engine``'s driver SQL, with its parameter order (None: the
    driver takes named parameters) and SQLAlchemy's bind processing per parameter."""

    def __init__(
        self, engine: sa.Engine, statement: Any, column_keys: Sequence[str] | None = None
    ) -> None:
        compiled = statement.compile(
            dialect=engine.dialect, column_keys=list(column_keys) if column_keys else None
        )
        self.sql = str(compiled)
        self.order = compiled.positiontup
        # a query's column names, known here: asking the cursor costs more (psycopg
        # builds an object per column per query)
        selected = getattr(statement, "selected_columns", None)
        self.columns = [c.name for c in selected] if selected is not None else []
        # the statement's own literals (a status, a LIMIT) are parameters too
        self._defaults = {k: v for k, v in compiled.params.items() if v is not None}
        self._process = {
            key: process
            for key, bind in compiled.binds.items()
            if (process := bind.type.bind_processor(engine.dialect)) is not None
        }

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """``values`` as the driver takes them."""
        values = {**self._defaults, **values}
        done = {k: (self._process[k](v) if k in self._process else v) for k, v in values.items()}
        return tuple(done[k] for k in self.order) if self.order is not None else done


@contextmanager
def raw_cursor(engine: sa.Engine, *, autocommit: bool = False) -> Iterator[Any]:
    """A cursor on a pooled connection; the connection goes back to the pool (rolled
    back unless the caller committed). ``autocommit``: each statement is its own
    transaction, committed when it returns; on PostgreSQL that saves the BEGIN and the
    COMMIT or ROLLBACK round trips (SQLite's store connections always run so, and a
    caller that needs a transaction there says BEGIN)."""
    raw = engine.raw_connection()
    driver = raw.driver_connection
    plain = autocommit and engine.dialect.name == "postgresql"
    try:
        if plain:
            driver.autocommit = True
        cursor = raw.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
    finally:
        if plain:
            driver.autocommit = False  # as the pool hands it to everyone else
        raw.close()


def records(cursor: Any, columns: Sequence[str]) -> list[dict[str, Any]]:
    """The cursor's remaining rows as dicts by ``columns`` (a :class:`Compiled`'s)."""
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


_COMPILED: weakref.WeakKeyDictionary[sa.Engine, dict[str, Compiled]] = (
    weakref.WeakKeyDictionary()
)


def compiled(
    engine: sa.Engine, name: str, statement: Any, column_keys: Sequence[str] | None = None
) -> Compiled:
    """``statement`` compiled for ``engine``, once per engine and ``name``."""
    known = _COMPILED.setdefault(engine, {})
    found = known.get(name)
    if found is None:
        found = known[name] = Compiled(engine, statement, column_keys)
    return found
