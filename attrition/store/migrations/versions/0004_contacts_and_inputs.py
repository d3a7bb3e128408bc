"""PLACEHOLDER for the lead's revision 0004 (contacts and model inputs): it only lets
0005 chain on this branch. Take the lead's file instead of this one when merging.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
