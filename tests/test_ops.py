"""Operator endpoints and signals: /healthz, /readyz, request ids on responses and log lines
(text and JSON), and Prometheus metrics behind a bearer token."""

import json
import logging
import re
from datetime import timedelta

from flask import request
from prometheus_client.parser import text_string_to_metric_families

from app.db import utcnow
from app.engine.models import HumanTask, Incident, ProcessInstance
from app.logs import configure_logging
from app.notifications.models import OutboxMessage
from tests.conftest import make_test_app
from tests.factories import submitted_application


def _samples(body: str) -> dict:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_answers_without_the_database(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_storage(app, client, sessions, tmp_path,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    ready = client.get("/readyz")
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "a-file" / "uploads"))
    no_storage = client.get("/readyz")

    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "database": "ok", "storage": "ok"}
    assert no_storage.status_code == 503
    assert no_storage.get_json()["storage"] == "unavailable"
    assert no_storage.get_json()["database"] == "ok"


def test_a_request_id_is_kept_or_made_and_returned(client, sessions):
    given = client.get("/logga-in", headers={"X-Request-ID": "lb-7f3a.42"})
    made = client.get("/logga-in")
    forged = client.get("/logga-in", headers={"X-Request-ID": "x y <script>" + "9" * 200})

    assert given.headers["X-Request-ID"] == "lb-7f3a.42"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    assert made.headers["X-Request-ID"] != forged.headers["X-Request-ID"]


def test_json_logs_carry_the_request_id_on_every_line(database_url, capsys):
    app = make_test_app(database_url, LOG_FORMAT="json")
    try:
        client = app.test_client()
        client.get("/logga-in", headers={"X-Request-ID": "req-json-1"})
        logging.getLogger("tf.test").warning("outside any request")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()
                 if line.startswith("{")]
    finally:
        configure_logging("text")
        app.extensions["db_engine"].dispose()

    mine = [line for line in lines if line.get("request_id") == "req-json-1"]
    assert any(line["message"].startswith("GET /logga-in 200") for line in mine)
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    outside = [line for line in lines if line["message"] == "outside any request"]
    assert outside and outside[0]["request_id"] == "-" and outside[0]["level"] == "WARNING"


def test_text_logs_carry_the_request_id(database_url, capsys):
    app = make_test_app(database_url, LOG_FORMAT="text")
    try:
        app.test_client().get("/logga-in", headers={"X-Request-ID": "req-text-1"})
        err = capsys.readouterr().err
    finally:
        configure_logging("text")
        app.extensions["db_engine"].dispose()
    assert re.search(r"INFO \[req-text-1\] app\.web\.ops: GET /logga-in 200", err)


def test_metrics_need_the_token(app, client, sessions, monkeypatch):
    assert client.get("/metrics").status_code == 404  # no token set: not served
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_count_requests_and_read_the_backlog_from_the_database(
        app, client, demo, session, engine, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    auth = {"Authorization": "Bearer s3cret-token"}
    before = _samples(client.get("/metrics", headers=auth).get_data(as_text=True))
    application = submitted_application(session, engine)
    instance = session.get(ProcessInstance, application.process_instance_id)
    instance.next_timer_at = utcnow() - timedelta(minutes=1)
    session.add(Incident(instance_id=None, message="prov", action={"kind": "test"}))
    session.commit()
    client.get("/logga-in")
    client.get("/logga-in")
    client.get("/finns-inte")

    response = client.get("/metrics", headers=auth)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    after = _samples(response.get_data(as_text=True))
    login_ok = ("tf_http_requests_total",
                (("endpoint", "auth.login"), ("method", "GET"), ("status", "200")))
    assert after[login_ok] - before.get(login_ok, 0) == 2
    missing = ("tf_http_requests_total", (("endpoint", "none"), ("method", "GET"),
                                          ("status", "404")))
    assert after[missing] - before.get(missing, 0) == 1
    count = ("tf_http_request_duration_seconds_count", (("endpoint", "auth.login"),))
    assert after[count] - before.get(count, 0) == 2
    open_tasks = session.query(HumanTask).filter(HumanTask.completed_at.is_(None)).count()
    pending = session.query(OutboxMessage).filter(OutboxMessage.status == "pending").count()
    assert open_tasks >= 1 and pending >= 1
    assert after[("tf_open_tasks", ())] == open_tasks
    assert after[("tf_due_timers", ())] == 1
    assert after[("tf_outbox_backlog", ())] == pending
    assert after[("tf_open_incidents", ())] == 1



def test_only_a_trusted_proxy_sets_scheme_host_and_client_address(database_url):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tf.huddinge.se",
               "X-Forwarded-For": "198.51.100.7"}
    seen = {}
    for proxies in (0, 1):
        app = make_test_app(database_url, TRUSTED_PROXIES=proxies)
        app.add_url_rule("/_who", "who", lambda: f"{request.scheme} {request.host} "
                                                 f"{request.remote_addr}")
        seen[proxies] = app.test_client().get("/_who", headers=headers).get_data(as_text=True)
        app.extensions["db_engine"].dispose()
    assert seen[1] == "https tf.huddinge.se 198.51.100.7"
    assert seen[0] == "http localhost 127.0.0.1"  # headers from anyone else are ignored
