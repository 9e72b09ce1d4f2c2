"""Files posted with a task form: store them and put them in the form's attachment fields."""

from flask import current_app, request

from app.attachments.operations import attachment_data, store_uploads
from app.attachments.storage import storage_from_config
from app.errors import InvalidInput


def receive_uploads(session, definition, form, instance_id: int, user_id: int) -> bool:
    """Fill every attachments field from the case's files and store the files posted with it.

    The ids a page posts back are kept only if they are files of this case's field. A
    refused file puts its message on the field and stores nothing; return False then.
    Stored files are committed at once, in their own transaction, so that they stay attached
    when the rest of the form fails validation (the page lists them and posts their ids).
    """
    ok, stored = True, False
    for name in definition.attachment_fields():
        field = form[name]
        field.data = attachment_data(session, instance_id=instance_id, field=name,
                                     ids=[item["id"] for item in field.data])
        files = [(upload.filename, upload.read())
                 for upload in request.files.getlist(f"{name}-upload") if upload.filename]
        if not files:
            continue
        try:
            _check_count(definition, name, len(field.data) + len(files))
            field.data = field.data + store_uploads(
                session, storage_from_config(current_app.config), instance_id=instance_id,
                field=name, files=files, user_id=user_id,
                max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
            stored = True
        except InvalidInput as err:
            definition.attach_errors(form, err.errors)
            ok = False
    if stored:
        session.commit()
    return ok


def _check_count(definition, name: str, count: int) -> None:
    most = definition.schema["properties"][name].get("maxItems")
    if most is not None and count > most:
        raise InvalidInput(f"Högst {most} filer.", {
            name: [f"Du kan bifoga högst {most} filer. Ta bort någon innan du lägger till fler."]})
