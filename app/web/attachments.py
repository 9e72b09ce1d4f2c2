"""Download an attached file, for those who may see its case."""

from io import BytesIO

from flask import Blueprint, send_file

from app.attachments.checks import safe_name
from app.attachments.models import Attachment  # registers the table at start-up
from app.attachments.operations import attachment_for
from app.attachments.permissions import can_download
from app.errors import NotFound
from app.web.context import current_user, db, login_required
from app.web.downloads import stored_bytes

bp = Blueprint("attachments", __name__)


@bp.route("/bilagor/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment: Attachment | None = attachment_for(db(), attachment_id)
    if attachment is None or not can_download(db(), current_user(), attachment):
        raise NotFound("Bilagan finns inte.")
    data = stored_bytes(attachment.key, "bilaga", attachment.original_name)
    response = send_file(BytesIO(data), mimetype=attachment.content_type, as_attachment=True,
                         download_name=safe_name(attachment.original_name), etag=False,
                         conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
