"""attachments.removed_by_id: a removed attachment keeps its row, marked with who and when

Revision ID: c7e2a4f1b8d3
Revises: c7d2e4f6a813
Create Date: 2026-11-29 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'c7e2a4f1b8d3'
down_revision: str | Sequence[str] | None = 'c7d2e4f6a813'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attachments_removed_by_id_users'), 'users',
                                    ['removed_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachments_removed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('removed_by_id')
