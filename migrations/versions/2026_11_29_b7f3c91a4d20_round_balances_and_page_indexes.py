"""round_balances: a round's running ledger totals (filled from the ledger);
applications.review_score: each case's review score (scored from its reviews), for the rank;
ledger_reconciliations: each run of the full reconciliation; indexes for pages that must not
grow with history (completed by me, the outbox, the delegation report, corrected decisions,
cases per process version, open incidents)

Revision ID: b7f3c91a4d20
Revises: f3c8a1d2e9b4
Create Date: 2026-11-29 13:00:00
"""

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = 'b7f3c91a4d20'
down_revision: str | Sequence[str] | None = "f3c8a1d2e9b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("reservation", "reservation_release", "grant", "grant_cancellation", "payout",
         "reclaim")


def upgrade() -> None:
    op.create_table(
        'round_balances',
        sa.Column('round_id', sa.Integer(), nullable=False),
        *(sa.Column(kind, sa.Numeric(precision=14, scale=2), nullable=False) for kind in KINDS),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'],
                                name=op.f('fk_round_balances_round_id_rounds')),
        sa.PrimaryKeyConstraint('round_id', name=op.f('pk_round_balances')),
    )
    sums = ", ".join(f"coalesce(sum(CASE WHEN l.kind = '{kind}' THEN l.amount END), 0)"
                     for kind in KINDS)
    columns = ", ".join(f'"{kind}"' for kind in KINDS)
    op.execute(f"INSERT INTO round_balances (round_id, {columns}) "  # noqa: S608 - our names
               f"SELECT r.id, {sums} FROM rounds r "
               f"LEFT JOIN ledger_entries l ON l.round_id = r.id GROUP BY r.id")
    op.create_table(
        'ledger_reconciliations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('problems', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                  nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_ledger_reconciliations_actor_id_users')),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'],
                                name=op.f('fk_ledger_reconciliations_round_id_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_reconciliations')),
    )
    with op.batch_alter_table('ledger_reconciliations', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_reconciliations_round_id_id', ['round_id', 'id'],
                              unique=False)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_score', sa.Numeric(precision=5, scale=2),
                                      nullable=True))
        batch_op.create_index('ix_applications_round_id_review_score',
                              ['round_id', 'review_score'], unique=False)
    _score_reviewed_cases()
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_human_tasks_completed_by',
                              ['completed_by_id', 'role', 'completed_at'], unique=False)
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_level_decided_at', ['level', 'decided_at'],
                              unique=False)
        batch_op.create_index('ix_decisions_replaces_id', ['replaces_id'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_created_at_id', ['created_at', 'id'],
                              unique=False)
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.create_index('ix_process_instances_version_status',
                              ['process_version_id', 'status'], unique=False)
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_resolved_at_id', ['resolved_at', 'id'], unique=False)


def _score_reviewed_cases() -> None:
    """Score every case that has reviews, with the review form its process version carries
    (else the forms/ file declaring the review scores) and its round's weights."""
    from app.grants.reviews import criteria_of, review_shape, score_of, scores_node

    def review_schema(schemas):
        return next((schema for schema in schemas
                     if isinstance(schema, dict) and scores_node(schema) is not None), None)

    connection = op.get_bind()
    folder = Path(__file__).resolve().parents[2] / "forms"
    default = review_schema(json.loads(path.read_text(encoding="utf-8"))
                            for path in sorted(folder.glob("*-schema.json")))
    rows = connection.execute(sa.text(
        "SELECT a.id, i.data, v.forms, r.criteria_weights FROM applications a "
        "JOIN process_instances i ON i.id = a.process_instance_id "
        "JOIN process_versions v ON v.id = i.process_version_id "
        "JOIN rounds r ON r.id = a.round_id")).all()
    for application_id, data, forms, weights in rows:
        data, forms, weights = (_json(data), _json(forms), _json(weights))
        schema = review_schema((form or {}).get("schema")
                               for form in (forms or {}).values()) or default
        score = schema and score_of(review_shape(schema), criteria_of(schema, weights), data)
        if score is not None:
            connection.execute(sa.text("UPDATE applications SET review_score = :score "
                                       "WHERE id = :id"), {"score": score, "id": application_id})


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_resolved_at_id')
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instances_version_status')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_created_at_id')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_replaces_id')
        batch_op.drop_index('ix_decisions_level_decided_at')
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_completed_by')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_round_id_review_score')
        batch_op.drop_column('review_score')
    with op.batch_alter_table('ledger_reconciliations', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_reconciliations_round_id_id')
    op.drop_table('ledger_reconciliations')
    op.drop_table('round_balances')
