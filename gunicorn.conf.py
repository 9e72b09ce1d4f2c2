"""gunicorn settings for production (Dockerfile, README): `gunicorn -c gunicorn.conf.py
'app:create_app()'`. Worker count: WEB_CONCURRENCY (gunicorn's own variable), default 2."""

import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Longer than the database's statement timeout (30 s) plus its connect timeout (5 s): a slow
# request ends with the app's own 503 page, not with gunicorn killing the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# The app logs one line per request itself (with the request id); no second access log.
accesslog = None
errorlog = "-"
# Addresses whose X-Forwarded-* headers gunicorn trusts (the reverse proxy); the app's
# TF_TRUSTED_PROXIES does the same for Flask's url_for and secure cookies.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(_server):
    """Start with an empty Prometheus folder: files of a previous run would be counted."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for old in Path(folder).glob("*.db"):
            old.unlink()


def child_exit(_server, worker):
    """Let Prometheus forget a worker that has exited (its live gauges)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
