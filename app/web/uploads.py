"""Files posted with a task form: store them, delete the ones removed, and put the case's
files in the form's attachment fields."""

from tempfile import SpooledTemporaryFile

from flask import Request, current_app, request

from app.attachments.operations import attachment_data, remove_attachments, store_uploads
from app.engine.models import ProcessInstance
from app.errors import InvalidInput
from app.forms.inputs import attachment_items
from app.storage import storage_from_config

SPOOL_BYTES = 512 * 1024  # a file part larger than this goes to a temporary file


class UploadRequest(Request):
    """A request whose file parts keep at most MAX_UPLOAD_BYTES + 1 bytes each: a file too
    large is then refused by the upload check, naming it, while the rest of the form (the
    typed text) is read as usual. MAX_CONTENT_LENGTH stays the hard cap of the whole body."""

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return CappedFile(current_app.config["MAX_UPLOAD_BYTES"] + 1)


class CappedFile(SpooledTemporaryFile):
    """A spooled file that keeps the first `keep` bytes written and drops the rest."""

    def __init__(self, keep: int):
        super().__init__(max_size=SPOOL_BYTES, mode="w+b")
        self.keep, self.kept = keep, 0

    def write(self, data) -> int:
        room = self.keep - self.kept
        if room > 0:
            self.kept += super().write(bytes(data[:room]))
        return len(data)


def receive_uploads(session, definition, form, instance_id: int,
                    user_id: int) -> tuple[dict[str, list[str]], bool]:
    """Fill every attachments field from the case's files, store the files posted with it and
    delete those ticked "Ta bort"; return the refusals (field → messages) and whether any
    file was stored or deleted.

    The ids a page posts back are kept only if they are files of this case's field. A
    refused file stores nothing of its field. A removed file is deleted (row, stored file,
    audit event) unless a completed form handed it in. Changes are committed at once, in
    their own transaction, so that they hold when the rest of the form fails validation
    (the page lists the files and posts their ids, and the caller keeps them in the draft).
    """
    errors, changed = {}, False
    storage = storage_from_config(current_app.config)
    for name in definition.attachment_fields():
        field = form[name]
        removed = _removed_ids(name)
        if removed:
            remove_attachments(session, storage, instance_id=instance_id, field=name,
                               ids=removed, kept=_handed_in(session, instance_id, name),
                               user_id=user_id)
            changed = True
        field.data = attachment_data(session, instance_id=instance_id, field=name,
                                     ids=[item["id"] for item in field.data])
        files = [(upload.filename, upload.read())
                 for upload in request.files.getlist(f"{name}-upload") if upload.filename]
        if not files:
            continue
        try:
            _check_count(definition, name, len(field.data) + len(files))
            field.data = field.data + store_uploads(
                session, storage, instance_id=instance_id, field=name, files=files,
                user_id=user_id, max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
                max_per_case=current_app.config["MAX_FILES_PER_CASE"])
            changed = True
        except InvalidInput as err:
            errors.update(err.errors)
    if changed:
        session.commit()
    return errors, changed


def _removed_ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(f"{name}-remove") if v.strip().isdigit()]


def _handed_in(session, instance_id: int, name: str) -> list[int]:
    instance = session.get(ProcessInstance, instance_id)
    return [item["id"] for item in attachment_items((instance.data or {}).get(name))]


def _check_count(definition, name: str, count: int) -> None:
    most = definition.schema["properties"][name].get("maxItems")
    if most is not None and count > most:
        raise InvalidInput(f"Högst {most} filer.", {
            name: [f"Du kan bifoga högst {most} filer. Ta bort någon innan du lägger till fler."]})
