"""Scale-out: two gunicorn web processes (two workers each) and two `flask engine worker`
processes against one PostgreSQL and one shared file folder, started as in production. Cases
are completed across them (log in on one web process, act on the other), the workers fire the
timers and send the outbox once, and a scrape of either web process counts every request of
both (Prometheus multiprocess mode)."""

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import html
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.config import ROOT
from app.db import make_engine, make_sessionmaker
from app.demo import load_demo
from app.engine.models import ProcessInstance
from app.formatting import local_today
from app.grants.models import Application, Round
from app.notifications.models import OutboxMessage
from tests.conftest import CSRF_RE, make_test_app
from tests.factories import application_data, formdata
from tests.s3server import new_bucket, s3_settings

pytestmark = pytest.mark.postgres

TOKEN = "scale-out-metrics"
TIMER_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="Definitions_skalning" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="skalning_timer" name="Väntar en stund" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="vanta" />
    <bpmn:intermediateCatchEvent id="vanta" name="Vänta">
      <bpmn:timerEventDefinition id="ted">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">vanta_till</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="vanta" targetRef="rakna" />
    <bpmn:scriptTask id="rakna"><bpmn:script>raknare = raknare + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="rakna" targetRef="slut" />
    <bpmn:endEvent id="slut" />
  </bpmn:process>
</bpmn:definitions>
"""


class Browser:
    """A visitor with cookies talking HTTP to a real server; redirects are not followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect)

    def request(self, url: str, pairs=None, headers=None) -> tuple[int, dict, str]:
        data = urllib.parse.urlencode(pairs).encode() if pairs is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=data,
                                                         headers=headers or {}), timeout=30) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()

    def token(self, url: str) -> str:
        status, _, page = self.request(url)
        assert status == 200, (url, status, page[:500])
        return CSRF_RE.search(page).group(1)

    def post(self, url: str, pairs, token_page: str | None = None) -> tuple[int, dict, str]:
        return self.request(url, [*pairs, ("csrf_token", self.token(token_page or url))])

    def login(self, base: str, username: str) -> None:
        status, _, page = self.post(f"{base}/logga-in", [("username", username),
                                                          ("password", "demo1234")])
        assert status == 302, page[:500]

    def task_url(self, base: str, title: str, case_title: str) -> str:
        _, _, page = self.request(f"{base}/uppgifter")
        for row in html.fromstring(page).xpath("//table//tr"):
            links = [a for a in row.xpath(".//a") if a.text_content().strip() == title]
            if links and case_title in row.text_content():
                return base + links[0].get("href")
        raise AssertionError(f"no task {title!r} for {case_title!r} in the inbox")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def cluster(empty_database_url, tmp_path, s3_endpoint):
    """Migrate once, then start two web processes and two workers sharing one PostgreSQL and
    one S3-compatible object store (moto's server on loopback); yield their settings."""
    url = empty_database_url("postgres")
    processes = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", processes)  # with each process's folder of files
    (processes / "skalning_timer.bpmn").write_text(TIMER_PROCESS, encoding="utf-8")
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {**os.environ, "TF_DATABASE_URL": url, "TF_SECRET_KEY": "scale-out-secret-" + "x" * 40,
           **{f"TF_{name}": value for name, value in
              s3_settings(s3_endpoint, new_bucket(s3_endpoint)).items()},
           # production settings, but plain http on loopback: the cookie may travel without TLS
           "TF_SESSION_COOKIE_SECURE": "0", "TF_PROCESSES_DIR": str(processes),
           "TF_TIMER_INTERVAL": "1", "TF_LOG_FORMAT": "json", "TF_METRICS_TOKEN": TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, timeout=120,
                   capture_output=True)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        load_demo(session, local_today())
        session.commit()
    ports = [_free_port(), _free_port()]
    logs = tmp_path / "logs"
    logs.mkdir()
    started, outputs = [], []

    def log_file(name):
        outputs.append((logs / name).open("wb"))
        return outputs[-1]

    try:
        for index, port in enumerate(ports):
            started.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                 "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:create_app()"],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                stderr=log_file(f"web{index}.log")))
        for index in range(2):
            started.append(subprocess.Popen(
                [*flask, "engine", "worker", "--interval", "0.5"], env=env, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=log_file(f"worker{index}.log")))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            _wait_until(lambda b=base: _ready(b), 60, f"{base}/readyz")
        yield {"bases": bases, "url": url, "engine": engine, "env": env, "logs": logs,
               "processes": processes}
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for output in outputs:
            output.close()
        engine.dispose()


def test_cases_complete_across_two_web_processes_and_two_workers(cluster):
    web1, web2 = cluster["bases"]
    sessions = make_sessionmaker(cluster["engine"])
    with sessions() as session:
        round_id = session.scalars(select(Round.id)).first()

    # Timers: instances waiting a few seconds, fired by whichever worker claims them.
    app = make_test_app(cluster["url"], PROCESSES_DIR=str(cluster["processes"]))
    due = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    with sessions() as session:
        timer_ids = [app.extensions["engine"].start_instance(
            session, "skalning_timer", actor_id=None, data={"vanta_till": due, "raknare": 0}).id
            for _ in range(20)]
        session.commit()
    app.extensions["db_engine"].dispose()

    titles = ["Nattvandring i Vårby", "Belysning i Flemingsberg"]
    applicant, officer = Browser(), Browser()
    applicant.login(web1, "sokande")  # logged in on one web process …
    officer.login(web2, "handlaggare")
    for index, title in enumerate(titles):
        here, there = (web1, web2) if index % 2 else (web2, web1)
        status, headers, _ = applicant.post(f"{here}/ansokningar/ny", [("round_id", round_id)],
                                           token_page=f"{here}/ansokningar")
        assert status == 302  # … acting on the other
        task = re.search(r"/uppgifter/[0-9a-f-]{36}", headers["Location"]).group(0)
        status, _, page = applicant.post(there + task, [
            *formdata(application_data(titel=title, budget=[{"post": "Arvoden",
                                                             "belopp": 90000}],
                                       sokt_belopp=90000)), ("slutfor", "1")])
        assert status == 302, page[:2000]
        status, _, page = officer.post(officer.task_url(here, "Formell kontroll", title),
                                       [("kontroll_utfall", "komplett"), ("slutfor", "1")])
        assert status == 302, page[:2000]
        status, _, page = officer.post(officer.task_url(there, "Tilldela bedömare", title), [
            ("valda_bedomare", "bedomare"), ("valda_bedomare", "bedomare2"),
            ("bedomning_frist", "2030-01-31"), ("slutfor", "1")])
        assert status == 302, page[:2000]

    def all_done():
        with sessions() as session:
            waiting_timers = session.scalar(select(func.count()).where(
                ProcessInstance.id.in_(timer_ids), ProcessInstance.status != "completed"))
            unsent = session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status != "sent"))
            return waiting_timers == 0 and unsent == 0

    _wait_until(all_done, 60, "the workers to fire every timer and send every message")
    with sessions() as session:
        applications = session.scalars(select(Application).order_by(Application.id)).all()
        assert [a.title for a in applications] == titles
        assert all(a.diarienummer for a in applications)
        for instance_id in timer_ids:
            instance = session.get(ProcessInstance, instance_id)
            assert instance.data["raknare"] == 1  # fired once, not once per worker
        fired = session.scalars(select(AuditEvent.process_instance_id).where(
            AuditEvent.action == "timer_fired",
            AuditEvent.process_instance_id.in_(timer_ids))).all()
        # Every timer fired (the instance's only step after it ran once, above). A worker that
        # lost the race for an instance may still write a second "timer_fired" line for it:
        # counted honestly is the reliability work's subject, not this test's.
        assert set(fired) == set(timer_ids)
        sent = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert sent >= len(titles)  # at least a receipt per application, each sent once

    # Either web process reports the requests of both (gunicorn workers of both masters).
    samples = {}
    for base in (web1, web2):
        status, _, body = Browser().request(f"{base}/metrics",
                                            headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        samples[base] = {(s.name, tuple(sorted(s.labels.items()))): s.value
                         for family in text_string_to_metric_families(body)
                         for s in family.samples}
    logins = ("tf_http_requests_total", (("endpoint", "auth.login"), ("method", "POST"),
                                         ("status", "302")))
    assert samples[web1][logins] == samples[web2][logins] == 2
    assert samples[web1][("tf_due_timers", ())] == 0
    assert samples[web1][("tf_outbox_backlog", ())] == 0
    for log in Path(cluster["logs"]).glob("web*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-3000:]
