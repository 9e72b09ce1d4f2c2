"""user_organisations: a user acts for several organisations (the existing link of
users.organisation_id is kept as the user's one row, given by the administrator)

Revision ID: b83f5d1e0a47
Revises: d4a8e1c2f5b6
Create Date: 2026-11-29 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b83f5d1e0a47'
down_revision: str | Sequence[str] | None = 'd4a8e1c2f5b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Read the links first: SQLite's batch mode drops and recreates users, which would cascade
    # to rows already in user_organisations.
    links = op.get_bind().execute(sa.text(
        "SELECT id, organisation_id FROM users WHERE organisation_id IS NOT NULL")).all()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))
        batch_op.drop_constraint(batch_op.f('fk_users_organisation_id_organisations'),
                                 type_='foreignkey')
        batch_op.drop_column('organisation_id')
    table = op.create_table(
        'user_organisations',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_user_organisations_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_user_organisations_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'organisation_id', name=op.f('pk_user_organisations')),
    )
    with op.batch_alter_table('user_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_organisations_organisation_id'),
                              ['organisation_id'], unique=False)
    if links:
        op.bulk_insert(table, [{"user_id": user_id, "organisation_id": organisation_id,
                                "source": "admin"} for user_id, organisation_id in links])


def downgrade() -> None:
    # One organisation per user again: the lowest of each user's (read before users is
    # rebuilt, for the same reason as above).
    links = op.get_bind().execute(sa.text(
        "SELECT user_id, min(organisation_id) FROM user_organisations GROUP BY user_id")).all()
    with op.batch_alter_table('user_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_organisations_organisation_id'))
    op.drop_table('user_organisations')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_organisation_id_organisations'),
                                    'organisations', ['organisation_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'],
                              unique=False)
    for user_id, organisation_id in links:
        op.execute(sa.text("UPDATE users SET organisation_id = :organisation WHERE id = :user")
                   .bindparams(organisation=organisation_id, user=user_id))
