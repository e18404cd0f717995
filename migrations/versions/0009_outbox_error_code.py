"""outbox: Twilio's error code of a failed SMS (metrics: SMS failures by error code)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand only: a nullable column, so the version already running keeps working.
    op.add_column('outbox_messages', sa.Column('error_code', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('outbox_messages', 'error_code')
