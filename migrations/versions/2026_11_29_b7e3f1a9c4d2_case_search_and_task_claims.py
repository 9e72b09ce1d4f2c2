"""case_search: the searchable text of each case, kept in step by triggers (PostgreSQL: a
Swedish tsvector GIN index; SQLite: an FTS5 table); human_tasks.claimed_by_id/claimed_at
(a task taken by or handed to someone)

Revision ID: b7e3f1a9c4d2
Revises: e7b3f19a4c62
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b7e3f1a9c4d2'
down_revision: str | Sequence[str] | None = "e7b3f19a4c62"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of app/grants/search.py's statements as of this revision.
DOCUMENT = ("coalesce(a.diarienummer, '') || ' ' || "
            "replace(replace(coalesce(a.diarienummer, ''), '-', ' '), '/', ' ') || ' ' || "
            "a.title || ' ' || o.name || ' ' || coalesce(o.org_number, '') || ' ' || "
            "u.display_name")
SOURCE = ("FROM applications a JOIN organisations o ON o.id = a.organisation_id "
          "JOIN users u ON u.id = a.created_by_id")
UPSERT = (f"INSERT INTO case_search (application_id, document) SELECT a.id, {DOCUMENT} "
          f"{SOURCE} WHERE {{where}} "
          "ON CONFLICT (application_id) DO UPDATE SET document = excluded.document")
REFRESH_WHERE = {"applications": "a.id = new.id", "organisations": "a.organisation_id = new.id",
                 "users": "a.created_by_id = new.id"}
WATCHED = {"applications": "diarienummer, title, organisation_id, created_by_id",
           "organisations": "name, org_number", "users": "display_name"}
SQLITE_DDL = [
    "CREATE VIRTUAL TABLE case_search_fts USING fts5(document, content='case_search', "
    "content_rowid='application_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER case_search_fts_ai AFTER INSERT ON case_search BEGIN "
    "INSERT INTO case_search_fts (rowid, document) VALUES (new.application_id, new.document); "
    "END",
    "CREATE TRIGGER case_search_fts_ad AFTER DELETE ON case_search BEGIN "
    "INSERT INTO case_search_fts (case_search_fts, rowid, document) "
    "VALUES ('delete', old.application_id, old.document); END",
    "CREATE TRIGGER case_search_fts_au AFTER UPDATE ON case_search BEGIN "
    "INSERT INTO case_search_fts (case_search_fts, rowid, document) "
    "VALUES ('delete', old.application_id, old.document); "
    "INSERT INTO case_search_fts (rowid, document) VALUES (new.application_id, new.document); "
    "END",
    "CREATE TRIGGER case_search_applications_ai AFTER INSERT ON applications BEGIN "
    + UPSERT.format(where=REFRESH_WHERE["applications"]) + "; END",
    *(f"CREATE TRIGGER case_search_{table}_au AFTER UPDATE OF {columns} ON {table} BEGIN "
      + UPSERT.format(where=REFRESH_WHERE[table]) + "; END"
      for table, columns in WATCHED.items()),
]
POSTGRES_DDL = [
    "CREATE INDEX ix_case_search_document ON case_search "
    "USING gin (to_tsvector('swedish', document))",
    *(f"CREATE FUNCTION case_search_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      + UPSERT.format(where=REFRESH_WHERE[table]) + "; RETURN NULL; END $$"
      for table in WATCHED),
    "CREATE TRIGGER case_search_applications_ai AFTER INSERT ON applications "
    "FOR EACH ROW EXECUTE FUNCTION case_search_applications()",
    *(f"CREATE TRIGGER case_search_{table}_au AFTER UPDATE OF {columns} ON {table} "
      f"FOR EACH ROW EXECUTE FUNCTION case_search_{table}()"
      for table, columns in WATCHED.items()),
]


def upgrade() -> None:
    op.create_table(
        'case_search',
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_case_search_application_id_applications'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('application_id', name=op.f('pk_case_search')),
    )
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_human_tasks_claimed_by_id'), ['claimed_by_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_human_tasks_claimed_by_id_users'), 'users',
                                    ['claimed_by_id'], ['id'])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DDL if dialect == "sqlite" else POSTGRES_DDL:
        op.execute(statement)
    # The cases there are already: their text, then (SQLite) the full-text index of it.
    op.execute(f"INSERT INTO case_search (application_id, document) SELECT a.id, {DOCUMENT} "
               f"{SOURCE}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("case_search_applications_ai", *(f"case_search_{t}_au" for t in WATCHED)):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS case_search_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS case_search_applications_ai ON applications")
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS case_search_{table}_au ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS case_search_{table}()")
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_tasks_claimed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_human_tasks_claimed_by_id'))
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')
    op.drop_table('case_search')
