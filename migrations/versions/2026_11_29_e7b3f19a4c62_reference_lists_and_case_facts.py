"""reference_lists_and_case_facts: the kommundelar and åtgärdsplan lists the administrator
keeps (kommundelar seeded with the codes the application form stores), and the facts and
indicators each case records for the overview and the effect report

Revision ID: e7b3f19a4c62
Revises: 83f1731645f2
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'e7b3f19a4c62'
down_revision: str | Sequence[str] | None = "83f1731645f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KOMMUNDELAR = ("Flemingsberg", "Vårby", "Länna", "Skogås", "Trångsund", "Stuvsta-Snättringe",
               "Sjödalen-Fullersta", "Segeltorp", "Tullinge", "Huddinge centrum")


def upgrade() -> None:
    items = op.create_table(
        'reference_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_name', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_items')),
        sa.UniqueConstraint('list_name', 'code',
                            name=op.f('uq_reference_items_list_name')),
    )
    op.create_table(
        'case_facts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_case_facts_application_id_applications'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_facts')),
    )
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_facts_application_id'), ['application_id'],
                              unique=False)
        batch_op.create_index('ix_case_facts_kind_value', ['kind', 'value'], unique=False)
    op.create_table(
        'case_indicators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('baseline', sa.String(length=300), nullable=False),
        sa.Column('target', sa.String(length=300), nullable=False),
        sa.Column('outcome', sa.String(length=300), nullable=True),
        sa.Column('reached', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_case_indicators_application_id_applications'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_indicators')),
    )
    with op.batch_alter_table('case_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_indicators_application_id'),
                              ['application_id'], unique=False)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts_digest', sa.String(length=64), nullable=True))
    op.bulk_insert(items, [
        {'list_name': 'kommundel', 'code': name, 'name': name, 'name_en': '',
         'position': position, 'active': True}
        for position, name in enumerate(KOMMUNDELAR, start=1)])
    # Cases saved before this revision get their facts at their next save.


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('facts_digest')
    with op.batch_alter_table('case_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_indicators_application_id'))
    op.drop_table('case_indicators')
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_case_facts_kind_value')
        batch_op.drop_index(batch_op.f('ix_case_facts_application_id'))
    op.drop_table('case_facts')
    op.drop_table('reference_items')
