"""queue_entries.retry_at: a call-back that missed the family waits for its second attempt

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:10:00

One nullable column (add_column; no batch rebuild on SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand only: a nullable column, so the version already running keeps working.
    op.add_column('queue_entries', sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('queue_entries', 'retry_at')
