"""Log lines for operators: text or JSON (LOG_FORMAT), each carrying the request id.

The web layer sets `request_id` for the length of a request (an incoming X-Request-ID or a new
one); worker and command lines carry "-". Every logger's records pass the one root handler
installed here, so library lines (SQLAlchemy, gunicorn's error log) get the id too.
"""

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
_MARK = "tf_handler"


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Install (or replace) the root handler: `fmt` is "text" or "json"."""
    if fmt not in ("text", "json"):
        raise SystemExit(f"LOG_FORMAT must be text or json, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _MARK, True)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(JSON_FIELDS, rename_fields={
            "asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # SpiffWorkflow's task state changes, WeasyPrint's steps per PDF and Alembic's plugin set-up
    # lines (printed by every flask command otherwise) are logged at INFO: DEBUG only.
    quiet = level.upper() if level.upper() == "DEBUG" else "WARNING"
    for name in ("spiff", "alembic.runtime.plugins", "weasyprint.progress"):
        logging.getLogger(name).setLevel(quiet)
