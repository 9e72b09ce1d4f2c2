"""The diarium: gap-free diarienummer per prefix and year, also under concurrent submissions."""

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.grants.models import DiarieSequence


def next_diarienummer(session: Session, prefix: str, year: int, pattern: str) -> str:
    """Take the next number in the sequence (the row lock serializes concurrent takers).

    The increment is part of the caller's transaction: a rolled-back registration gives its
    number back, so the sequence has no gaps.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(DiarieSequence).values(prefix=prefix, year=year, last_value=1)
    seq = session.execute(  # one statement: the first number of a year, or the next one
        statement.on_conflict_do_update(
            index_elements=["prefix", "year"],
            set_={"last_value": DiarieSequence.last_value + 1})
        .returning(DiarieSequence.last_value)
    ).scalar_one()
    return pattern.format(prefix=prefix, year=year, seq=seq)
