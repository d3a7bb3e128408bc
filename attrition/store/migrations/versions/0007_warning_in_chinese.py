"""A model's warning stored in Chinese too: a Chinese report or API caller reads it
in its own language.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # runs stored before keep it empty: readers fall back to the English text
    op.add_column("scores", sa.Column("model_warning_zh", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("model_warning_zh")
