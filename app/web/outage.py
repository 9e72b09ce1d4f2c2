"""The database is unreachable or too slow: a 503 page that needs no database, says when to
try again (Retry-After) and keeps what the visitor posted, as a form they can send again."""

import logging

from flask import Flask, current_app, g, render_template, request
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, DisconnectionError, PoolTimeoutError)
# Never echoed back: secrets, and the CSRF token (the page carries a fresh one).
SECRET_FIELDS = ("password", "losenord", "csrf_token")


def register(app: Flask) -> None:
    """Answer database outages with the 503 page."""
    for error_class in OUTAGE_ERRORS:
        app.register_error_handler(error_class, database_unavailable)


def database_unavailable(err):
    """Render the 503 page without touching the database."""
    log.warning("database unavailable on %s %s: %s", request.method, request.path,
                str(err).splitlines()[0] if str(err) else type(err).__name__)
    g.user = None  # the page header must not ask the database who is logged in
    retry_after = current_app.config["DATABASE_RETRY_AFTER"]
    fields, files = posted_form() if request.method == "POST" else ([], [])
    body = render_template("errors/unavailable.html", fields=fields, files=files,
                           retry_after=retry_after, action=request.full_path.rstrip("?"))
    return body, 503, {"Retry-After": str(retry_after)}


def posted_form() -> tuple[list[tuple[str, str]], list[str]]:
    """Return the posted (name, value) pairs worth keeping, and the names of posted files."""
    try:
        pairs = [(name, value) for name, value in request.form.items(multi=True)
                 if not any(secret in name.lower() for secret in SECRET_FIELDS)]
        files = [file.filename for _name, file in request.files.items(multi=True)
                 if file and file.filename]
    except Exception:  # a body we cannot parse (too large, cut off): nothing to keep
        log.warning("could not read the posted form", exc_info=True)
        return [], []
    return pairs, files
