"""The weekly contact plans made from scoring runs.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_plans",
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
    op.create_index("ix_contact_plans_assignee", "contact_plans", ["run_id", "assignee"])


def downgrade() -> None:
    op.drop_table("contact_plans")
