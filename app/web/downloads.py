"""File downloads: stored bytes with a safe, UTF-8 aware Content-Disposition."""

from urllib.parse import quote

from flask import Response


def file_response(data: bytes, filename: str, content_type: str,
                  disposition: str = "attachment") -> Response:
    """A response with the bytes as they are, an ASCII filename and its RFC 5987 UTF-8 form.
    `content_type` is sent as given (with its charset, if any)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{fallback}"; filename*=UTF-8\'\'{quote(filename, safe="")}')
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
