"""Scoring runs with their scores, drivers and actions; the models they used.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _key() -> list[sa.Column]:
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


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("ref", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("entity_type", sa.String(8), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scoring_runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("as_of", sa.String(7), nullable=False),
        sa.Column("entities", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("write_s", sa.Float),
        sa.Column("n_scores", sa.Integer),
        sa.Column("n_drivers", sa.Integer),
        sa.Column("n_actions", sa.Integer),
        sa.Column("models", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("writer_host", sa.String(255)),
        sa.Column("writer_pid", sa.Integer),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'failed')", name="ck_scoring_runs_status"
        ),
    )
    op.create_index("ix_scoring_runs_status_as_of", "scoring_runs", ["status", "as_of"])
    op.create_table(
        "scores",
        *_key(),
        sa.Column("as_of", sa.String(7), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer, nullable=False),
        *[sa.Column(f"risk_{m}m", sa.Float) for m in range(1, 13)],
        sa.Column("tier", sa.String(8), nullable=False),
        sa.Column("value_at_risk", sa.Float),
        sa.Column("model_warning", sa.Text),
        sa.Column("branch_id", sa.String(64)),
        sa.Column("rm_id", sa.String(64)),
        sa.Column("segment", sa.String(64)),
        sa.Column("aum", sa.Float),
        sa.Column("grade", sa.String(64)),
        sa.Column("book_size", sa.Float),
        sa.Column("book_aum", sa.Float),
    )
    op.create_index(
        "ix_scores_branch", "scores", ["run_id", "branch_id", "entity_type", "value_at_risk"]
    )
    op.create_table(
        "drivers",
        *_key(),
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
    op.create_table(
        "actions",
        *_key(),
        sa.Column("rank", sa.Integer, primary_key=True),
        sa.Column("action_id", sa.String(64), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("effect", sa.Float, nullable=False),
        sa.Column("en", sa.Text, nullable=False),
        sa.Column("zh", sa.Text, nullable=False),
        sa.Column("because", sa.String(128)),
        sa.Column("remote", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    for table in ("actions", "drivers", "scores", "scoring_runs", "model_versions"):
        op.drop_table(table)
