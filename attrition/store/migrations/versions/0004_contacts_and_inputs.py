"""Recorded contacts (the feedback of POST /v1/contacts) and each run's model inputs
(what a what-if question starts from).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scoring_runs", sa.Column("input_columns", sa.JSON))
    op.create_table(
        "model_inputs",
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("scoring_runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entity_type", sa.String(8), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("values", sa.Text, nullable=False),
    )
    op.create_table(
        "recorded_contacts",
        sa.Column("contact_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("branch_id", sa.String(64)),
        sa.Column("rm_id", sa.String(64)),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("scoring_runs.run_id")),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("planned_action_id", sa.String(64)),
        sa.Column("action_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(16)),
        sa.Column("idempotency_key", sa.String(128)),
        sa.CheckConstraint(
            "channel IN ('call', 'meeting', 'visit', 'message', 'email')",
            name="ck_recorded_contacts_channel",
        ),
        sa.CheckConstraint(
            "outcome IN ('reached', 'no_answer', 'declined', 'will_stay', 'assets_moved', "
            "'follow_up')",
            name="ck_recorded_contacts_outcome",
        ),
        sa.UniqueConstraint("key_id", "idempotency_key", name="uq_recorded_contacts_retry"),
    )
    op.create_index(
        "ix_recorded_contacts_client", "recorded_contacts", ["client_id", "contacted_at"]
    )
    op.create_index("ix_recorded_contacts_run", "recorded_contacts", ["run_id"])


def downgrade() -> None:
    op.drop_table("recorded_contacts")
    op.drop_table("model_inputs")
    with op.batch_alter_table("scoring_runs") as batch:
        batch.drop_column("input_columns")
