"""funds: the account a fund's transfers are booked on (empty: FINANCE_TRANSFER_ACCOUNT)

Revision ID: 83f1731645f2
Revises: d4a8e1c2f5b6
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '83f1731645f2'
down_revision: str | Sequence[str] | None = 'd4a8e1c2f5b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('funds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_account', sa.String(length=10), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('funds', schema=None) as batch_op:
        batch_op.drop_column('transfer_account')
