"""funds: organ, letter signature, finance dimensions, overlap flag; rounds: criteria
weights and the default komplettering deadline

Revision ID: c7d2e4f6a813
Revises: 03e08517a73e
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = 'c7d2e4f6a813'
down_revision: str | Sequence[str] | None = '03e08517a73e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUND_TEXTS = [('organ', 200), ('signatory_name', 200), ('signatory_title', 200),
              ('cost_centre', 20), ('cost_centre_name', 200), ('project_pattern', 40)]
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('funds', schema=None) as batch_op:
        for name, length in FUND_TEXTS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False,
                                          server_default=''))
        batch_op.add_column(sa.Column('allow_overlapping_rounds', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('criteria_weights', JSON, nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('komplettering_days', sa.Integer(), nullable=False,
                                      server_default='14'))


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('komplettering_days')
        batch_op.drop_column('criteria_weights')
    with op.batch_alter_table('funds', schema=None) as batch_op:
        batch_op.drop_column('allow_overlapping_rounds')
        for name, _length in reversed(FUND_TEXTS):
            batch_op.drop_column(name)
