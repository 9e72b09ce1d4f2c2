"""For operators: /healthz (liveness), /readyz (database and storage), /metrics (Prometheus,
behind a bearer token), and a request id plus timing on every request."""

import hmac
import logging
import re
import time
import uuid

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from app.db import utcnow
from app.logs import request_id
from app.metrics import CONTENT_TYPE, Metrics, read_backlog
from app.storage import storage_from_config

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)
# An incoming X-Request-ID is kept when it looks like an id (no spaces, no control characters).
REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


def init_app(app: Flask) -> None:
    """Register the probes and the per-request hooks (before any other hook)."""
    app.extensions["metrics"] = Metrics()
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # trust that many reverse proxies' X-Forwarded-For/-Proto/-Host/-Prefix (none by
        # default: then a client cannot choose the address it is throttled by)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_prefix=proxies)
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(finish_request)
    app.teardown_request(_forget_request_id)


# Pages whose URL holds a secret (a one-time link's token): logged by their pattern only.
SECRET_PATH_ENDPOINTS = {"account.choose_password"}


def start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_id_token = request_id.set(g.request_id)
    g.started = time.perf_counter()


def finish_request(response):
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.endpoint or "none"
    current_app.extensions["metrics"].observe(endpoint, request.method, response.status_code,
                                              seconds)
    if endpoint not in ("ops.healthz", "ops.readyz", "static"):
        path = request.url_rule.rule if endpoint in SECRET_PATH_ENDPOINTS else request.path
        log.info("%s %s %s %.1f ms", request.method, path, response.status_code,
                 seconds * 1000)
    return response


def _forget_request_id(_exc=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


@bp.route("/healthz")
def healthz():
    """The process answers (no database needed)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """The database and the file storage are reachable; 503 naming what is not."""
    checks = {"database": _check(_database_ready), "storage": _check(_storage_ready)}
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", **checks), 200 if ready else 503


def _database_ready() -> None:
    with current_app.extensions["db_engine"].connect() as connection:
        connection.execute(text("SELECT 1"))


def _storage_ready() -> None:
    storage_from_config(current_app.config).ready()


def _check(probe) -> str:
    try:
        probe()
    except Exception as err:  # any failure means "not ready"; the log has the details
        log.warning("readiness check %s failed: %s", probe.__name__, err)
        return "unavailable"
    return "ok"


@bp.route("/metrics")
def metrics():
    """Prometheus metrics, for a scraper holding METRICS_TOKEN (404 when none is set)."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        return jsonify(error="not found"), 404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return jsonify(error="unauthorized"), 401, {"WWW-Authenticate": "Bearer"}
    with current_app.extensions["read_sessions"]() as session:
        backlog = read_backlog(session, utcnow())
    body = current_app.extensions["metrics"].render(backlog)
    return body, 200, {"Content-Type": CONTENT_TYPE}
