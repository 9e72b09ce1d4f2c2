"""Cases with every kind of stored file (letters, batch files, an attachment), and their
downloads: shared by the storage and the backup tests."""

from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import User
from app.attachments.models import Attachment
from app.attachments.operations import store_uploads
from app.demo import load_demo_cases
from app.formatting import local_today
from app.grants.models import Application
from app.letters.models import Letter
from app.payouts.models import BatchFile
from tests.attachment_files import LIMIT, pdf_bytes


@dataclass(frozen=True)
class Download:
    """A stored document, who may download it, and what it should be."""

    kind: str
    url: str
    username: str
    key: str
    sha256: str
    name: str


def store_documents(session, engine, storage) -> list[Download]:
    """Drive the demo cases (decision letters, two paid batches) and attach a file to one."""
    load_demo_cases(session, engine, local_today())
    session.commit()
    application = session.scalars(select(Application).order_by(Application.id)).first()
    store_uploads(session, storage, instance_id=application.process_instance_id,
                  field="bilagor", files=[("Karta över Vårby.pdf", pdf_bytes())],
                  user_id=application.created_by_id, max_bytes=LIMIT)
    session.commit()
    return downloads(session)


def downloads(session) -> list[Download]:
    """Every stored document with the URL that serves it."""
    found = [Download("bilaga", f"/bilagor/{a.id}", session.get(User, a.uploaded_by_id).username,
                      a.key, a.sha256, a.original_name)
             for a in session.scalars(select(Attachment))]
    found += [Download("beslutsbrev", f"/beslut/{letter.decision_id}/brev", "admin",
                       letter.storage_key, letter.sha256, letter.filename)
              for letter in session.scalars(select(Letter))]
    found += [Download("batchfil", f"/ekonomi/batcher/{f.batch_id}/filer/{f.kind}", "ekonomi",
                       f.storage_key, f.sha256, f.filename)
              for f in session.scalars(select(BatchFile))]
    return found
