"""The store: scoring runs with their scores, drivers and actions, in a real database.

SQLite file by default (``$ATTRITION_HOME/attrition.db``), PostgreSQL by
``ATTRITION_DATABASE_URL`` (psycopg 3). The schema is managed by Alembic migrations
(``attrition db upgrade``); opening a store whose schema is not the one this version
needs is refused with the command to run. The pipeline writes through
:mod:`attrition.store.runs`; the API and the reports read through it; nothing else
opens the database.
"""

from attrition.store.engine import (
    StoreError,
    default_store_url,
    open_store,
    schema_revision,
    upgrade_store,
)
from attrition.store.entities import EntityRecord, read_current_entity, read_entity
from attrition.store.references import read_references
from attrition.store.runs import (
    branch_page,
    branch_summary,
    current_run_id,
    list_runs,
    mark_abandoned_runs,
    read_run,
    run_as_of,
    write_run,
)

__all__ = [
    "EntityRecord",
    "StoreError",
    "branch_page",
    "branch_summary",
    "current_run_id",
    "default_store_url",
    "list_runs",
    "mark_abandoned_runs",
    "open_store",
    "read_current_entity",
    "read_entity",
    "read_references",
    "read_run",
    "run_as_of",
    "schema_revision",
    "upgrade_store",
    "write_run",
]
