"""user_identities (OpenID Connect issuer + subject of a user) and group_mappings (the
provider's groups → roles and organisations)

Revision ID: d4a9c2e71f05
Revises: c7e2a4f1b8d3
Create Date: 2026-11-29 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'd4a9c2e71f05'
down_revision: str | Sequence[str] | None = 'c7e2a4f1b8d3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'user_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_user_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identities')),
        sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_user_identities_issuer')),
    )
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_identities_user_id'), ['user_id'],
                              unique=False)
    op.create_table(
        'group_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_value', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_group_mappings_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_mappings')),
    )
    with op.batch_alter_table('group_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_mappings_group_value'), ['group_value'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('group_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_mappings_group_value'))
    op.drop_table('group_mappings')
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_identities_user_id'))
    op.drop_table('user_identities')
