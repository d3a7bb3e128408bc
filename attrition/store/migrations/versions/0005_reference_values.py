"""What POST /v1/score takes from a scoring run besides the model inputs (0004): the
cut-offs of relative tiers, each RM's exposed book AUM.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_values",
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("scoring_runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entity_type", sa.String(8), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Float),
    )


def downgrade() -> None:
    op.drop_table("reference_values")
