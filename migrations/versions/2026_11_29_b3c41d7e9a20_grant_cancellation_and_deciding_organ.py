"""ledger: grant_cancellation (cancelled tranches return to the fund); decisions.organ

Revision ID: b3c41d7e9a20
Revises: 8aa03d52a5db
Create Date: 2026-11-29 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b3c41d7e9a20'
down_revision: str | Sequence[str] | None = '8aa03d52a5db'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "kind IN ('reservation', 'reservation_release', 'grant', 'payout', 'reclaim')"
NEW = ("kind IN ('reservation', 'reservation_release', 'grant', 'grant_cancellation', "
       "'payout', 'reclaim')")


def _replace_check(condition: str) -> None:
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ledger_entries_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ledger_entries_kind_known'), condition)


def upgrade() -> None:
    _replace_check(NEW)
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organ', sa.String(length=200), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('organ')
    op.execute("DELETE FROM ledger_entries WHERE kind = 'grant_cancellation'")
    _replace_check(OLD)
