"""surge_state: the hotline's surge mode (one row)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00

A new table only (no batch rebuild on SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'surge_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('epoch', sa.Integer(), nullable=False),
        sa.Column('switched_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('switched_by', sa.String(length=40), nullable=True),
        sa.Column('empty_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_surge_state')),
    )


def downgrade() -> None:
    op.drop_table('surge_state')
