"""File downloads: stored bytes with a safe, UTF-8 aware Content-Disposition; a stored file
that cannot be read is a 503 page naming the document (never a 500)."""

from urllib.parse import quote

from flask import Response, current_app

from app.storage import storage_from_config


class StoredFileUnavailable(Exception):
    """A stored file is missing or its store cannot be reached (web/errors.py: 503)."""

    def __init__(self, kind: str, name: str):
        super().__init__(f"{kind} {name}")
        self.kind = kind  # bilaga | beslutsbrev | batchfil
        self.name = name


def stored_bytes(key: str, kind: str, name: str) -> bytes:
    """Return the file stored under `key`; raise StoredFileUnavailable if it cannot be read."""
    try:
        return storage_from_config(current_app.config).get(key)
    except OSError:
        current_app.logger.error("stored file of %s %r (%s) cannot be read", kind, name, key,
                                 exc_info=True)
        raise StoredFileUnavailable(kind, name) from None


def file_response(data: bytes, filename: str, content_type: str,
                  disposition: str = "attachment") -> Response:
    """A response with the bytes as they are, an ASCII filename and its RFC 5987 UTF-8 form.
    `content_type` is sent as given (with its charset, if any)."""
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(filename, disposition)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """The header naming a download: an ASCII filename and its RFC 5987 UTF-8 form."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f'{disposition}; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename, safe="")}'
