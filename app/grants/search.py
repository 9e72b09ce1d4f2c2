"""Full-text search over cases: diarienummer, title, organisation and the person who applied.

One row per case in `case_search` holds the text to search. Database triggers keep it in step
with applications, organisations and users, so no write operation has to remember it. On
PostgreSQL a GIN index on `to_tsvector('swedish', document)` answers the search with Swedish
stemming; on SQLite an FTS5 table (kept in step with `case_search` by triggers) does.
`matching_cases` is the one query function every list uses.
"""

import re

from sqlalchemy import DDL, ForeignKey, Select, Text, event, literal_column, select, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# Words of the query that are searched (more are ignored: a query is a few words).
MAX_TERMS = 8
WORD = re.compile(r"\w+")


class CaseSearch(Base):
    """The searchable text of one case (written by triggers, never by Python)."""

    __tablename__ = "case_search"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[str] = mapped_column(Text, default="")


# The text of a case: the diarienummer also with its separators as spaces, so "2027/0042"
# and "KS-2027" find it whichever way the search engine splits the number.
DOCUMENT = ("coalesce(a.diarienummer, '') || ' ' || "
            "replace(replace(coalesce(a.diarienummer, ''), '-', ' '), '/', ' ') || ' ' || "
            "a.title || ' ' || o.name || ' ' || coalesce(o.org_number, '') || ' ' || "
            "u.display_name")
SOURCE = ("FROM applications a JOIN organisations o ON o.id = a.organisation_id "
          "JOIN users u ON u.id = a.created_by_id")
UPSERT = (f"INSERT INTO case_search (application_id, document) SELECT a.id, {DOCUMENT} "
          f"{SOURCE} WHERE {{where}} "
          "ON CONFLICT (application_id) DO UPDATE SET document = excluded.document")
# Which cases to refresh after a change of each source table.
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

for _statement in SQLITE_DDL:
    event.listen(CaseSearch.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(CaseSearch.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="postgresql"))

# The objects the search adds beside the models' tables (schema comparisons skip them).
SEARCH_OBJECTS = {"case_search_fts", "case_search_fts_data", "case_search_fts_idx",
                  "case_search_fts_docsize", "case_search_fts_config", "case_search_fts_content",
                  "ix_case_search_document"}
# Backups leave the table out (triggers fill it again as the cases are restored) and know
# its companion objects (app/backup/archive.py).
CaseSearch.__table__.info.update(written_by_triggers=True, companions=SEARCH_OBJECTS)


def search_terms(query: str) -> list[str]:
    """The words of a search, lower-case, at most MAX_TERMS."""
    return WORD.findall(query.lower())[:MAX_TERMS]


def matching_case_ids(dialect: str, query: str) -> Select | None:
    """The ids of the cases matching every word of the query (as a word or the start of
    one; on PostgreSQL after Swedish stemming), or None when the query has no word."""
    terms = search_terms(query)
    if not terms:
        return None
    if dialect == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return select(CaseSearch.application_id).where(text(
            "to_tsvector('swedish', case_search.document) @@ to_tsquery('swedish', :tsquery)"
        ).bindparams(tsquery=tsquery))
    fts = " ".join(f'"{term}"*' for term in terms)
    return select(literal_column("rowid")).select_from(text("case_search_fts")).where(
        text("case_search_fts MATCH :fts").bindparams(fts=fts))
