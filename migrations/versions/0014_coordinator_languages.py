"""coordinator_languages: the languages each coordinator speaks, by phone number

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:45:00

A new table only (no batch rebuild on SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'coordinator_languages',
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('phone', name=op.f('pk_coordinator_languages')),
    )


def downgrade() -> None:
    op.drop_table('coordinator_languages')
