"""The PostgreSQL role the risk API connects as (``attrition db grant-app-role``).

The store's owner (the role ``attrition db upgrade`` runs as) owns every table, so it
could drop the audit log's triggers and rewrite history. The service therefore
connects as another role that may read every product table, append to the tables the
service writes (:data:`SERVICE_APPENDS`) and nothing more: no UPDATE, DELETE or
TRUNCATE anywhere, no DDL (only an owner may ALTER or DROP a table or its triggers,
and CREATE on the schema is revoked). Migrations, scoring, plans and keys keep
running as the owner.

Granting is idempotent: each run sets the role's privileges on the product tables to
exactly these (so tables added by later migrations are covered when it is rerun after
``db upgrade``), creates the role only when it does not exist, and drops nothing. The
password is turned into a SCRAM verifier on the client (libpq's
``PQencryptPasswordConn``), so the plain password never reaches the server or its
statement log, and the statement that sets it bypasses SQLAlchemy's logging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from attrition.store import schema
from attrition.store.engine import StoreError, open_store

# the tables the service appends to (the audit log; the contacts POST /v1/contacts records)
SERVICE_APPENDS = ("audit_log", "recorded_contacts")
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class AppRole:
    """What granting did: the role, whether it was created or its password set, the
    tables it may read and those it may also append to, and what it still may do that
    this command cannot take away (e.g. CREATE on the schema through PUBLIC)."""

    role: str
    created: bool
    password_set: bool
    reads: tuple[str, ...]
    appends: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def grant_app_role(url: str, role: str, password: str | None = None) -> AppRole:
    """Create (if missing) the service's role on the PostgreSQL store at ``url`` and
    set its privileges; ``url`` connects as the store's owner.

    Raises
    ------
    StoreError
        A SQLite store, an old schema, a role name that is not a plain lower-case
        identifier, the owner itself, a superuser or a member of the owner's role (they
        could change past rows), or an owner that may not create roles.
    """
    if not _NAME.fullmatch(role):
        raise StoreError(
            f"role {role!r} is not a plain PostgreSQL role name (lower-case letters, digits "
            "and _, at most 63, not starting with a digit)"
        )
    engine = open_store(url)
    try:
        if engine.dialect.name != "postgresql":
            raise StoreError(
                "an application role exists only on PostgreSQL; a SQLite store is guarded "
                "by its file's permissions (the service needs to read and write the file)"
            )
        with engine.begin() as conn:
            return _grant(conn, role, password)
    except sa.exc.DBAPIError as exc:
        # the driver's message names the privilege or object, never the password
        raise StoreError(f"cannot set up role {role!r}: {exc.orig}") from None
    finally:
        engine.dispose()


def _grant(conn: sa.Connection, role: str, password: str | None) -> AppRole:
    from psycopg import sql

    owner = conn.exec_driver_sql("SELECT current_user").scalar_one()
    found = conn.execute(
        sa.text(
            "SELECT rolsuper, pg_has_role(rolname, current_user, 'MEMBER') AS member "
            "FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role},
    ).first()
    problems = []
    if role == owner:
        problems.append(f"{role!r} is the store's owner; the service needs another role")
    elif found is not None and found.rolsuper:
        problems.append(f"{role!r} is a superuser, which may change any row")
    elif found is not None and found.member:
        problems.append(f"{role!r} is a member of the owner's role {owner!r}, whose rights it has")
    if problems:
        raise StoreError("cannot use that role for the service: " + "; ".join(problems))

    raw = conn.connection.driver_connection  # psycopg: quoting, and no SQLAlchemy log
    ident = sql.Identifier(role)

    def run(statement: str, *names: str) -> None:
        raw.execute(sql.SQL(statement).format(*(sql.Identifier(n) for n in names), role=ident))

    if found is None:
        run("CREATE ROLE {role} LOGIN")
    if password:
        verifier = raw.pgconn.encrypt_password(password.encode(), role.encode())
        raw.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(verifier.decode()))
        )
    database, namespace = conn.exec_driver_sql("SELECT current_database(), current_schema()").one()
    run("GRANT CONNECT ON DATABASE {} TO {role}", database)
    run("GRANT USAGE ON SCHEMA {} TO {role}", namespace)
    run("REVOKE CREATE ON SCHEMA {} FROM {role}", namespace)

    existing = set(sa.inspect(conn).get_table_names(schema=namespace))
    wanted = {*schema.metadata.tables, *SERVICE_APPENDS, "alembic_version"}
    reads = tuple(sorted(wanted & existing))
    appends = tuple(t for t in SERVICE_APPENDS if t in existing)
    for table in reads:  # exactly these rights, whatever the role had before
        run("REVOKE ALL ON TABLE {}.{} FROM {role}", namespace, table)
        run("GRANT SELECT ON TABLE {}.{} TO {role}", namespace, table)
    for table in appends:
        run("GRANT INSERT ON TABLE {}.{} TO {role}", namespace, table)
    sequences = conn.execute(
        sa.text(
            "SELECT DISTINCT s.relname FROM pg_class s "
            "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE s.relkind = 'S' AND t.relnamespace = current_schema()::regnamespace "
            "AND t.relname = ANY(:tables)"
        ),
        {"tables": list(appends)},
    ).scalars()
    for sequence in sequences:  # the ids of appended rows
        run("GRANT USAGE ON SEQUENCE {}.{} TO {role}", namespace, sequence)

    warnings = []
    if conn.execute(
        sa.text("SELECT has_schema_privilege(:role, current_schema(), 'CREATE')"), {"role": role}
    ).scalar_one():
        warnings.append(
            f"{role!r} may still create tables in schema {namespace!r} (granted to PUBLIC or "
            f"another role it is in); REVOKE CREATE ON SCHEMA {namespace} FROM PUBLIC forbids it"
        )
    return AppRole(role, found is None, bool(password), reads, appends, tuple(warnings))
