"""process_versions.forms: a deployed version carries the forms its user tasks name

Revision ID: d4a9e2c1f7b6
Revises: d4a9c2e71f05
Create Date: 2026-11-29 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = 'd4a9e2c1f7b6'
down_revision: str | Sequence[str] | None = 'd4a9c2e71f05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'forms', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.drop_column('forms')
