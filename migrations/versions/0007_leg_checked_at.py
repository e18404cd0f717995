"""coordinator legs: when the worker last asked Twilio about a leg still bridged

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:45:00

add_column only (no batch rebuild on SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('coordinator_legs', sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('coordinator_legs', 'checked_at')
