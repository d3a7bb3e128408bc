"""The store's tables (SQLAlchemy Core), one definition for the migrations and the code.

A scoring run is one row of ``scoring_runs``; its scores, drivers and actions hang off
it by ``run_id``. The columns follow :mod:`attrition.results`: scalar scores,
long drivers (a driver's value is kept as a number or as text, whichever it is) and
long actions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

metadata = sa.MetaData()

RUN_STATUSES = ("running", "complete", "failed")


def stored_time(at: datetime) -> datetime:
    """A time read back from a ``DateTime(timezone=True)`` column, aware: SQLite gives
    the stored UTC time back naive."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("ref", sa.String(80), primary_key=True),  # name@version
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("entity_type", sa.String(8), nullable=False),
    sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
)

scoring_runs = sa.Table(
    "scoring_runs",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("as_of", sa.String(7), nullable=False),
    sa.Column("entities", sa.String(32), nullable=False),  # "rm,client", "client", ...
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("write_s", sa.Float),
    sa.Column("n_scores", sa.Integer),
    sa.Column("n_drivers", sa.Integer),
    sa.Column("n_actions", sa.Integer),
    sa.Column("models", sa.Text),  # the refs used, comma separated
    sa.Column("notes", sa.Text),  # scoring's notes, one per line
    sa.Column("error", sa.Text),
    sa.Column("writer_host", sa.String(255)),
    sa.Column("writer_pid", sa.Integer),
    # per population, the model input columns in the order model_inputs lists values
    sa.Column("input_columns", sa.JSON),
    sa.CheckConstraint(f"status IN {RUN_STATUSES}", name="ck_scoring_runs_status"),
)
sa.Index("ix_scoring_runs_status_as_of", scoring_runs.c.status, scoring_runs.c.as_of)


def _entity_key() -> list[sa.Column]:
    """A row of a run's entity: run, population and id (fresh columns per table)."""
    return [
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("scoring_runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entity_type", sa.String(8), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
    ]


scores = sa.Table(
    "scores",
    metadata,
    *_entity_key(),
    sa.Column("as_of", sa.String(7), nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("model_version", sa.Integer, nullable=False),
    *[sa.Column(f"risk_{m}m", sa.Float) for m in range(1, 13)],
    sa.Column("tier", sa.String(8), nullable=False),
    sa.Column("value_at_risk", sa.Float),
    sa.Column("model_warning", sa.Text),
    sa.Column("model_warning_zh", sa.Text),  # the same warning in Chinese (migration 0007)
    sa.Column("branch_id", sa.String(64)),
    sa.Column("rm_id", sa.String(64)),
    sa.Column("segment", sa.String(64)),
    sa.Column("aum", sa.Float),
    sa.Column("grade", sa.String(64)),
    sa.Column("book_size", sa.Float),
    sa.Column("book_aum", sa.Float),
)
# a branch's at-risk list, largest value at risk first
sa.Index(
    "ix_scores_branch",
    scores.c.run_id,
    scores.c.branch_id,
    scores.c.entity_type,
    scores.c.value_at_risk,
)

drivers = sa.Table(
    "drivers",
    metadata,
    *_entity_key(),
    sa.Column("rank", sa.Integer, primary_key=True),
    sa.Column("feature", sa.String(128), nullable=False),
    sa.Column("value_num", sa.Float),
    sa.Column("value_text", sa.Text),
    sa.Column("contribution", sa.Float, nullable=False),
    sa.Column("direction", sa.String(8)),
    sa.Column("label_en", sa.Text),
    sa.Column("label_zh", sa.Text),
    sa.Column("text_en", sa.Text),
    sa.Column("text_zh", sa.Text),
)

actions = sa.Table(
    "actions",
    metadata,
    *_entity_key(),
    sa.Column("rank", sa.Integer, primary_key=True),
    sa.Column("action_id", sa.String(64), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("effect", sa.Float, nullable=False),
    sa.Column("en", sa.Text, nullable=False),
    sa.Column("zh", sa.Text, nullable=False),
    sa.Column("because", sa.String(128)),
    sa.Column("remote", sa.Boolean, nullable=False),
)

# what each scored entity's model read: a what-if starts from exactly this (a JSON list
# in the order of scoring_runs.input_columns; one row per tabular-model entity)
model_inputs = sa.Table(
    "model_inputs",
    metadata,
    *_entity_key(),
    sa.Column("values", sa.Text, nullable=False),
)

# what POST /v1/score takes from a run besides the model inputs: the cut-offs of
# relative tiers per group, each RM's exposed book AUM (attrition.pipeline.references);
# the id is an RM's, or a group's ("branch:B001", "all")
reference_values = sa.Table(
    "reference_values",
    metadata,
    *_entity_key(),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float),
)

ROLES = ("hr", "branch_head", "data_scientist", "service", "admin")

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),  # the key's public part
    sa.Column("name", sa.String(128)),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("branches", sa.Text),  # comma separated; empty: every branch the role sees
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("secret_hash", sa.String(128), nullable=False),  # never the secret itself
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint(f"role IN {ROLES}", name="ck_api_keys_role"),
)

# append-only: the code has no update or delete path, and triggers refuse both
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.String(16)),  # None: the command line
    sa.Column("role", sa.String(32)),
    sa.Column("action", sa.String(128), nullable=False),  # endpoint or command
    sa.Column("entity_type", sa.String(16)),
    sa.Column("entity_ids", sa.Text),  # ids, comma separated (never names)
    sa.Column("count", sa.Integer),
    sa.Column("outcome", sa.String(32), nullable=False),
)
sa.Index("ix_audit_log_at", audit_log.c.at)

# the weekly contact plan made from a run (replaced whole when planned again)
contact_plans = sa.Table(
    "contact_plans",
    metadata,
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("scoring_runs.run_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("assignee", sa.String(64), nullable=False),
    sa.Column("rm_id", sa.String(64)),
    sa.Column("branch_id", sa.String(64)),
    sa.Column("order", sa.Integer, nullable=False),
    sa.Column("tier", sa.String(8), nullable=False),
    sa.Column("aum", sa.Float),
    sa.Column("risk", sa.Float),
    sa.Column("value_at_risk", sa.Float),
    sa.Column("action_id", sa.String(64), nullable=False),
    sa.Column("action_en", sa.Text, nullable=False),
    sa.Column("action_zh", sa.Text, nullable=False),
    sa.Column("because", sa.String(128)),
    sa.Column("effect", sa.Float, nullable=False),
    sa.Column("effect_source", sa.String(16), nullable=False),
    sa.Column("expected_retained", sa.Float),
)
sa.Index("ix_contact_plans_assignee", contact_plans.c.run_id, contact_plans.c.assignee)

CONTACT_CHANNELS = ("call", "meeting", "visit", "message", "email")
CONTACT_OUTCOMES = ("reached", "no_answer", "declined", "will_stay", "assets_moved", "follow_up")

# what happened when a client was contacted: the feedback that later measures which
# action keeps the money. No free text: nothing here can hold a name.
recorded_contacts = sa.Table(
    "recorded_contacts",
    metadata,
    sa.Column("contact_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("branch_id", sa.String(64)),
    sa.Column("rm_id", sa.String(64)),  # the client's RM in the run
    sa.Column("run_id", sa.Integer, sa.ForeignKey("scoring_runs.run_id")),
    sa.Column("planned", sa.Boolean, nullable=False),  # in that run's contact plan
    sa.Column("planned_action_id", sa.String(64)),
    sa.Column("action_id", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.String(16)),
    sa.Column("idempotency_key", sa.String(128)),  # a retried request records nothing twice
    sa.CheckConstraint(f"channel IN {CONTACT_CHANNELS}", name="ck_recorded_contacts_channel"),
    sa.CheckConstraint(f"outcome IN {CONTACT_OUTCOMES}", name="ck_recorded_contacts_outcome"),
    sa.UniqueConstraint("key_id", "idempotency_key", name="uq_recorded_contacts_retry"),
)
sa.Index(
    "ix_recorded_contacts_client", recorded_contacts.c.client_id, recorded_contacts.c.contacted_at
)
sa.Index("ix_recorded_contacts_run", recorded_contacts.c.run_id)

DELIVERY_STATES = ("pending", "sending", "sent", "failed")

# the reports' outbox: one row per (report, period, document, recipient), so a report is
# delivered once however often its sending is retried or restarted. The message id is
# derived from that key: a message resent after a crash between the server's
# acceptance and the commit carries the same id, and the receiving side can tell.
report_deliveries = sa.Table(
    "report_deliveries",
    metadata,
    sa.Column("delivery_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("report", sa.String(64), nullable=False),
    sa.Column("period", sa.String(32), nullable=False),
    sa.Column("document", sa.String(64), nullable=False),  # a branch id, or "all"
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("scoring_runs.run_id")),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),  # when its sending began
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.Text),
    sa.Column("pdf_path", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"state IN {DELIVERY_STATES}", name="ck_report_deliveries_state"),
    sa.UniqueConstraint(
        "report", "period", "document", "recipient", name="uq_report_deliveries_once"
    ),
)
sa.Index("ix_report_deliveries_due", report_deliveries.c.state, report_deliveries.c.next_attempt_at)

# who runs the schedules: one holder at a time; another scheduler stands by until the
# lease expires (its holder stopped renewing it)
scheduler_leases = sa.Table(
    "scheduler_leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
