"""funds: the contact a fund's letters print (empty: LETTER_CONTACT)

Revision ID: f3c8a1d2e9b4
Revises: b7e3f1a9c4d2
Create Date: 2026-11-29 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "f3c8a1d2e9b4"
down_revision: str | Sequence[str] | None = "b7e3f1a9c4d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("funds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact", sa.String(length=300), nullable=False,
                                      server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("funds", schema=None) as batch_op:
        batch_op.drop_column("contact")
