"""session epoch: sessions that end everywhere; index on login_attempts.at for their retention

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:45:00

add_column and create_index only (no batch rebuild on SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_login_attempts_at', 'login_attempts', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_attempts_at', table_name='login_attempts')
    op.drop_column('users', 'session_epoch')
