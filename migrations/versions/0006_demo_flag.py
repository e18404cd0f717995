"""demo flag: mark the rows `demo load` made, so they can be renewed or removed without touching real ones

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:40:00

add_column only (no batch rebuild on SQLite: rebuilding a table that others reference with
ON DELETE CASCADE would delete their rows). Rows an earlier `demo load` made are recognised by the
invented numbers and contract numbers it used, and marked.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = (
    'shifts', 'caregivers', 'users', 'cases', 'families', 'employers', 'tariffs',
    'member_municipalities', 'billing_runs', 'invoices', 'employer_statements',
)
#: What the demo loaded before this migration (roster/demo.py, caregivers/demo.py, billing/demo.py, cli/demo.py).
LEGACY_COORDINATORS = ('+4915228817390', '+4915735991042', '+4917139201234')
LEGACY_CAREGIVERS = tuple(f'+49171392001{n:02d}' for n in range(1, 21))
LEGACY_FAMILY_PHONE = '+4915112340001'
LEGACY_EMPLOYERS = ('FX-2019-004', 'FX-2024-017')


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('demo', sa.Boolean(), server_default=sa.false(), nullable=False))
    bind = op.get_bind()
    mark = 'UPDATE {table} SET demo = :yes WHERE {column} IN :values'
    for table, column, values in (
        ('shifts', 'phone', LEGACY_COORDINATORS),
        ('caregivers', 'phone', LEGACY_CAREGIVERS),
        ('employers', 'contract_number', LEGACY_EMPLOYERS),
    ):
        statement = sa.text(mark.format(table=table, column=column)).bindparams(sa.bindparam('values', expanding=True))
        bind.execute(statement, {'yes': True, 'values': list(values)})
    bind.execute(
        sa.text('UPDATE families SET demo = :yes WHERE id IN (SELECT family_id FROM family_phones WHERE phone = :phone)'),
        {'yes': True, 'phone': LEGACY_FAMILY_PHONE},
    )
    bind.execute(
        sa.text("UPDATE users SET demo = :yes WHERE username = 'leitung' AND name = 'Demo-Leitung'"), {'yes': True}
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, 'demo')
