"""demo flag: also mark the tariffs and member municipalities an earlier `demo load` made

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:00:00

0006 recognised the earlier demo's people by their invented numbers. Its tariffs (5/3/2 euros
from 2016-01-01) and member municipalities have no such mark; they are the demo's only where the
demo family (and so the demo's billing set-up) is in the database. Without this, `demo load`
would take them for real data and stop renewing the roster of a demo made before 0006.
"""

from datetime import date

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

LEGACY_FAMILY_PHONE = '+4915112340001'
LEGACY_TARIFFS = (('regular', 'Regeltarif'), ('partner', 'Beschäftigte von Partnerunternehmen'), ('student', 'Studierende'))
LEGACY_MEMBERSHIPS = (
    ('Hannover', date(2016, 1, 1)), ('Langenhagen', date(2022, 1, 1)), ('Langenhagen', date(2024, 1, 1)),
    ('Langenhagen', date(2026, 1, 1)), ('Laatzen', date(2024, 7, 1)), ('Laatzen', date(2026, 7, 1)),
    ('Garbsen', date(2025, 1, 1)), ('Hemmingen', date(2026, 1, 1)), ('Seelze', date(2027, 1, 1)),
    ('Burgwedel', date(2021, 1, 1)),
)


def upgrade() -> None:
    bind = op.get_bind()
    demo_family = bind.execute(
        sa.text('SELECT 1 FROM family_phones WHERE phone = :phone'), {'phone': LEGACY_FAMILY_PHONE}
    ).first()
    if demo_family is None:
        return
    for code, name in LEGACY_TARIFFS:
        bind.execute(
            sa.text('UPDATE tariffs SET demo = :yes WHERE code = :code AND name = :name AND valid_from = :day'),
            {'yes': True, 'code': code, 'name': name, 'day': date(2016, 1, 1)},
        )
    for municipality, starts_on in LEGACY_MEMBERSHIPS:
        bind.execute(
            sa.text('UPDATE member_municipalities SET demo = :yes WHERE municipality = :m AND starts_on = :day'),
            {'yes': True, 'm': municipality, 'day': starts_on},
        )


def downgrade() -> None:
    pass  # the marks are harmless; 0006's downgrade drops the columns
