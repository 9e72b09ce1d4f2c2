"""Store uploaded files for a case's form field and find them again."""

import hashlib
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.attachments.checks import check_upload
from app.attachments.models import Attachment
from app.audit import record_event
from app.db import utcnow
from app.errors import InvalidInput
from app.storage import FileStorage, delete_in_transaction, put_in_transaction


def store_uploads(session: Session, storage: FileStorage, *, instance_id: int, field: str,
                  files: Sequence[tuple[str, bytes]], user_id: int,
                  max_bytes: int, max_per_case: int | None = None) -> list[dict]:
    """Check every file, then store them all; return their form data (id, namn, storlek, typ).

    All or nothing: if one file is refused, none is stored and InvalidInput names every
    refused file (as errors on `field`); so too when the case would hold more than
    `max_per_case` files (removed ones do not count). The files are written before the
    caller commits; should the transaction roll back, they are deleted again
    (put_in_transaction).
    """
    if max_per_case is not None:
        _check_case_total(session, instance_id, field, len(files), max_per_case)
    checked, problems = [], []
    for filename, data in files:
        try:
            checked.append((*check_upload(filename, data, max_bytes), data))
        except InvalidInput as err:
            problems.append(err.message)
    if problems:
        message = problems[0] if len(problems) == 1 else "Några filer kunde inte tas emot."
        raise InvalidInput(message, {field: problems})
    return [_store(session, storage, name, content_type, data, instance_id=instance_id,
                   field=field, user_id=user_id).as_form_data()
            for name, content_type, data in checked]


def _check_case_total(session: Session, instance_id: int, field: str, adding: int,
                      most: int) -> None:
    held = session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.process_instance_id == instance_id, Attachment.removed_at.is_(None)))
    if held + adding > most:
        message = (f"Ett ärende kan ha högst {most} bifogade filer och har redan {held}. "
                   "Ta bort någon fil innan du lägger till fler.")
        raise InvalidInput(message, {field: [message]})


def _store(session: Session, storage: FileStorage, name: str, content_type: str, data: bytes,
           *, instance_id: int, field: str, user_id: int) -> Attachment:
    key = put_in_transaction(session, storage, data)
    attachment = Attachment(key=key, original_name=name, content_type=content_type,
                            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            process_instance_id=instance_id, field=field,
                            uploaded_by_id=user_id)
    session.add(attachment)
    session.flush()
    record_event(session, "attachment_added", f"Bilaga {name} bifogad", actor_id=user_id,
                 instance_id=instance_id,
                 details={"attachment_id": attachment.id, "field": field,
                          "sha256": attachment.sha256, "size": attachment.size})
    return attachment


def attachment_for(session: Session, attachment_id: int) -> Attachment | None:
    """Return the attachment, or None if there is none or it has been removed."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.removed_at is not None:
        return None
    return attachment


def attachment_data(session: Session, *, instance_id: int, field: str,
                    ids: Sequence[int]) -> list[dict]:
    """Return the form data of the listed attachments, in the order given, keeping only those
    of this case's field that are not removed (posted ids are never trusted as such)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = session.scalars(select(Attachment).where(
        Attachment.id.in_(wanted), Attachment.process_instance_id == instance_id,
        Attachment.field == field, Attachment.removed_at.is_(None)))
    found = {row.id: row for row in rows}
    return [found[i].as_form_data() for i in wanted if i in found]


def remove_attachments(session: Session, storage: FileStorage, *, instance_id: int, field: str,
                       ids: Sequence[int], kept: Sequence[int], user_id: int) -> None:
    """Delete the listed files of this case's field (row and stored file, audited), except
    those in `kept`: the files a completed form handed in stay with the case."""
    doomed = set(ids) - set(kept)
    if not doomed:
        return
    rows = session.scalars(select(Attachment).where(
        Attachment.id.in_(doomed), Attachment.process_instance_id == instance_id,
        Attachment.field == field, Attachment.removed_at.is_(None)))
    for row in rows:
        _delete(session, storage, row, user_id)


def remove_case_attachments(session: Session, storage: FileStorage, *, instance_id: int,
                            user_id: int) -> None:
    """Delete every file of a case (row and stored file, audited)."""
    rows = session.scalars(select(Attachment).where(
        Attachment.process_instance_id == instance_id, Attachment.removed_at.is_(None)))
    for row in rows:
        _delete(session, storage, row, user_id)


def _delete(session: Session, storage: FileStorage, row: Attachment, user_id: int) -> None:
    """Mark the row removed (who, when) and delete its file once the transaction commits."""
    if row.removed_at is not None:
        return
    delete_in_transaction(session, storage, row.key)
    row.removed_at, row.removed_by_id = utcnow(), user_id
    record_event(session, "attachment_removed", f"Bilaga {row.original_name} borttagen",
                 actor_id=user_id, instance_id=row.process_instance_id,
                 details={"attachment_id": row.id, "field": row.field, "sha256": row.sha256})
    session.flush()


def attachments_of_instance(session: Session, instance_id: int) -> list[Attachment]:
    """Return a case's attached files that are not removed, oldest first."""
    return list(session.scalars(select(Attachment).where(
        Attachment.process_instance_id == instance_id, Attachment.removed_at.is_(None))
        .order_by(Attachment.uploaded_at, Attachment.id)))
