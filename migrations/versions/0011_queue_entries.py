"""queue_entries: the hotline's call queue (callers waiting on the line or for a call-back)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:30:00

A new table only (no batch rebuild on SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'queue_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('call_sid', sa.String(length=64), nullable=True),
        sa.Column('urgency_rank', sa.Integer(), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.Enum('line', 'callback', name='queuekind', native_enum=False,
                                  create_constraint=False, length=12), nullable=False),
        sa.Column('state', sa.Enum('waiting', 'offered', 'connected', 'left', 'voicemail', 'called_back', 'failed',
                                   name='queuestate', native_enum=False, create_constraint=False, length=12),
                  nullable=False),
        sa.Column('offered_to', sa.String(length=16), nullable=True),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('declined_by', sa.String(length=16), nullable=True),
        sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('announced_position', sa.Integer(), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_queue_entries_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_entries')),
        sa.UniqueConstraint('call_sid', name=op.f('uq_queue_entries_call_sid')),
    )
    op.create_index(op.f('ix_queue_entries_case_id'), 'queue_entries', ['case_id'], unique=False)
    op.create_index('ix_queue_entries_state_order', 'queue_entries', ['state', 'urgency_rank', 'entered_at'],
                    unique=False)
    op.create_index('uq_queue_entries_offered_to', 'queue_entries', ['offered_to'], unique=True,
                    sqlite_where=sa.text("state = 'offered'"), postgresql_where=sa.text("state = 'offered'"))


def downgrade() -> None:
    op.drop_index('uq_queue_entries_offered_to', table_name='queue_entries')
    op.drop_index('ix_queue_entries_state_order', table_name='queue_entries')
    op.drop_index(op.f('ix_queue_entries_case_id'), table_name='queue_entries')
    op.drop_table('queue_entries')
