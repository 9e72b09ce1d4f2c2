"""Notifications: the outbox, its texts, the sender worker and the SMTP seam."""

import email
import email.policy
import logging
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from jinja2 import UndefinedError
from sqlalchemy import select

from app.accounts.models import User
from app.db import utcnow
from app.notifications.models import KINDS, OutboxMessage
from app.notifications.outbox import (
    MAX_ATTEMPTS,
    enqueue,
    retry_delay,
    run_sender,
    send_pending,
)
from app.notifications.senders import LogSender, SmtpSender, sender_from_config
from app.notifications.texts import MESSAGES_DIR, render_message
from app.web.outbox import bp as outbox_bp
from tests.conftest import login, make_test_app

CONTEXT = {
    "fund": "Trygghetsfonden 2027",
    "diarienummer": "KS-2027/0042",
    "titel": "Nattvandring i Flemingsberg – vår och höst",
    "organisation": "Kultur- och fritidsnämnden",
    "url": "https://trygghetsfonden.huddinge.se/ansokningar/7",
    "frist": "2027-03-14",
    "meddelande": "Bifoga budgeten för höstens nattvandringar.",
    "utfall": "Delvis bifall",
    "uppgift": "Bedöm ansökan",
    "belopp": "250\u00a0000\u00a0kr",
    "datum": "2027-03-15",
    "utbetalning": "2",
    "namn": "Anna Svensson",
    "anvandarnamn": "anna.svensson",
    "giltig": "72 timmar",
    "valid": "72 hours",
}
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class RecordingSender:
    """A test double of the mail seam: records what it sends, fails for chosen addresses."""

    def __init__(self, fail_for: tuple[str, ...] = (), delay: float = 0.0):
        self.fail_for = fail_for
        self.delay = delay
        self.sent: list[OutboxMessage] = []
        self.lock = threading.Lock()

    def send(self, message: OutboxMessage) -> None:
        if message.recipient_email in self.fail_for:
            raise ConnectionRefusedError("reläservern svarar inte")
        time.sleep(self.delay)
        with self.lock:
            self.sent.append(message)


def all_messages(sessions) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def queue(sessions, kind="kvitto", recipients=("sara@huddinge.example",), **kwargs):
    with sessions() as session:
        added = enqueue(session, kind, list(recipients), CONTEXT, **kwargs)
        session.commit()
        return added


# -- texts ----------------------------------------------------------------------------------


def test_enqueue_renders_swedish_text_with_the_context(sessions, demo):
    with sessions() as session:
        sara = session.get(User, demo["sokande"].id)
        added = enqueue(session, "kvitto", [sara], CONTEXT)
        session.commit()
    [message] = all_messages(sessions)
    assert [m.id for m in added] == [message.id]
    assert message.subject == "Vi har tagit emot er ansökan KS-2027/0042"
    assert "Titel: Nattvandring i Flemingsberg – vår och höst" in message.body
    assert "Sökande: Kultur- och fritidsnämnden" in message.body
    assert CONTEXT["url"] in message.body
    assert not message.body.startswith("Ämne:") and "{" not in message.body
    assert message.recipient_email == "sokande@huddinge.example"
    assert message.recipient_user_id == demo["sokande"].id
    assert (message.kind, message.status, message.attempts) == ("kvitto", "pending", 0)
    assert message.next_attempt_at <= utcnow()


def documented_keys(kind: str) -> set[str]:
    source = (MESSAGES_DIR / f"{kind}.txt").read_text(encoding="utf-8")
    match = re.search(r"Nycklar: (.*?)\.\n", source)
    assert match, f"{kind}.txt documents no keys"
    names = re.sub(r"\s*\([^)]*\)", "", match.group(1))  # drop the explanations
    return {name.strip() for name in names.split(",")}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_with_exactly_its_documented_keys(kind):
    keys = documented_keys(kind)
    assert keys <= set(CONTEXT), keys - set(CONTEXT)
    subject, body = render_message(kind, {k: CONTEXT[k] for k in keys})
    assert subject and "\n" not in subject and "{" not in subject + body
    assert "Med vänliga hälsningar" in body and body.endswith("\n")
    for key in keys:
        assert CONTEXT[key] in subject + body, key


def test_a_missing_key_or_unknown_kind_is_an_error(session):
    with pytest.raises(UndefinedError):
        render_message("kvitto", {"diarienummer": "KS-2027/0001"})
    with pytest.raises(ValueError, match="okänd meddelandetyp"):
        enqueue(session, "reklam", ["a@huddinge.example"], CONTEXT)
    with pytest.raises(ValueError, match="okänd meddelandetyp"):
        render_message("_sidfot", CONTEXT)


def test_the_subject_stays_one_line_whatever_the_values_hold():
    subject, body = render_message("paminnelse", {**CONTEXT, "uppgift": "Bedöm\r\nBcc: x@y"})
    assert subject == "Påminnelse: Bedöm Bcc: x@y senast 2027-03-14 (KS-2027/0042)"
    assert "Bedöm\r\nBcc: x@y" in body


def test_a_long_subject_is_cut_to_fit():
    subject, _body = render_message("paminnelse", {**CONTEXT, "uppgift": "å" * 400})
    assert len(subject) == 300 and subject.endswith("…")


def test_text_is_not_html_escaped():
    _subject, body = render_message("komplettering", {**CONTEXT, "meddelande": "A & B <C>"})
    assert "A & B <C>" in body


# -- enqueue --------------------------------------------------------------------------------


def test_the_same_dedupe_key_queues_one_message_per_recipient(sessions):
    key = "17:task-uuid:komplettering"
    first = queue(sessions, "komplettering", ["a@huddinge.example", "b@huddinge.example"],
                  instance_id=None, dedupe_key=key)
    again = queue(sessions, "komplettering", ["A@huddinge.example", "c@huddinge.example"],
                  dedupe_key=key)
    assert len(first) == 2
    assert [m.recipient_email for m in again] == ["c@huddinge.example"]
    assert sorted(m.recipient_email for m in all_messages(sessions)) == [
        "a@huddinge.example", "b@huddinge.example", "c@huddinge.example"]
    with sessions() as session:  # twice in one transaction, too
        enqueue(session, "beslut", ["d@huddinge.example"], CONTEXT, dedupe_key="9:beslut")
        enqueue(session, "beslut", ["d@huddinge.example"], CONTEXT, dedupe_key="9:beslut")
        session.commit()
    assert len(all_messages(sessions)) == 4


def test_a_long_dedupe_key_still_dedupes(sessions):
    key = "x" * 500
    assert len(queue(sessions, dedupe_key=key)) == 1
    assert queue(sessions, dedupe_key=key) == []
    assert len(all_messages(sessions)[0].dedupe_key) <= 400


def test_a_concurrent_transaction_with_the_same_dedupe_key_adds_nothing(sessions):
    key = "5:abc:kvitto"
    outcome = {}

    def second():
        with sessions() as other:
            outcome["added"] = enqueue(other, "kvitto", ["a@huddinge.example"], CONTEXT,
                                       dedupe_key=key)
            other.commit()

    with sessions() as first:
        enqueue(first, "kvitto", ["a@huddinge.example"], CONTEXT, dedupe_key=key)
        first.flush()
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)  # the other transaction now waits on our lock or our unique key
        first.commit()
    thread.join(timeout=30)
    assert outcome["added"] == []
    assert len(all_messages(sessions)) == 1


def test_recipients_without_a_usable_address_are_skipped(sessions, demo):
    with sessions() as session:
        officer = session.get(User, demo["handlaggare"].id)
        officer.email = ""
        session.flush()
        added = enqueue(session, "tilldelning", [officer], CONTEXT)
        added += enqueue(session, "tilldelning",
                         ["", "  ", "inte en adress", "bo@huddinge.example",
                          "BO@huddinge.example"], CONTEXT)
        session.commit()
    assert [m.recipient_email for m in added] == ["bo@huddinge.example"]
    assert len(all_messages(sessions)) == 1


def test_rolling_back_the_case_step_leaves_no_message(sessions):
    with sessions() as session:
        enqueue(session, "kvitto", ["a@huddinge.example"], CONTEXT, dedupe_key="1:x:kvitto")
        session.flush()
        session.rollback()
    assert all_messages(sessions) == []


# -- sending --------------------------------------------------------------------------------


def test_send_pending_sends_due_messages_once(sessions):
    queue(sessions, recipients=["a@huddinge.example", "b@huddinge.example"])
    sender = RecordingSender()
    now = utcnow() + timedelta(seconds=1)
    assert send_pending(sessions, sender, now=now) == (2, 0)
    assert send_pending(sessions, sender, now=now + timedelta(hours=1)) == (0, 0)
    assert sorted(m.recipient_email for m in sender.sent) == [
        "a@huddinge.example", "b@huddinge.example"]
    assert sender.sent[0].subject == "Vi har tagit emot er ansökan KS-2027/0042"
    for message in all_messages(sessions):
        assert (message.status, message.attempts, message.sent_at) == ("sent", 1, now)


def test_a_message_not_yet_due_waits(sessions):
    queue(sessions)
    assert send_pending(sessions, RecordingSender(), now=T0 - timedelta(days=3650)) == (0, 0)
    assert all_messages(sessions)[0].status == "pending"


def test_a_failing_send_is_retried_with_backoff_then_marked_failed(sessions):
    queue(sessions, recipients=["nere@huddinge.example", "ok@huddinge.example"])
    sender = RecordingSender(fail_for=("nere@huddinge.example",))
    now = utcnow() + timedelta(seconds=1)
    assert send_pending(sessions, sender, now=now) == (1, 1)
    assert [m.recipient_email for m in sender.sent] == ["ok@huddinge.example"]
    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if attempt > 1:
            # Not due a moment before the backoff ends; due when it has.
            assert send_pending(sessions, sender, now=now - timedelta(seconds=1)) == (0, 0)
            assert send_pending(sessions, sender, now=now) == (0, 1)
        failing = all_messages(sessions)[0]
        assert failing.attempts == attempt
        assert "ConnectionRefusedError: reläservern svarar inte" in failing.last_error
        if attempt < MAX_ATTEMPTS:
            assert failing.status == "pending"
            delays.append(failing.next_attempt_at - now)
            now = failing.next_attempt_at
    assert delays == [timedelta(minutes=m) for m in (1, 5, 25, 125)]
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == delays
    assert all_messages(sessions)[0].status == "failed"
    assert send_pending(sessions, sender, now=now + timedelta(days=30)) == (0, 0)
    assert all_messages(sessions)[1].status == "sent"


def test_concurrent_senders_never_send_a_message_twice(sessions):
    recipients = [f"mottagare{i}@huddinge.example" for i in range(40)]
    queue(sessions, recipients=recipients)
    sender = RecordingSender(delay=0.002)
    now = utcnow() + timedelta(seconds=1)
    barrier = threading.Barrier(4)
    totals: list = []

    def work():
        barrier.wait()
        totals.append(send_pending(sessions, sender, now=now, batch=100))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sent_to = [m.recipient_email for m in sender.sent]
    assert sorted(sent_to) == sorted(recipients)  # each exactly once
    assert sum(sent for sent, _failed in totals) == 40
    assert {m.status for m in all_messages(sessions)} == {"sent"}


def test_the_sender_worker_sends_and_stops(sessions, caplog):
    queue(sessions)
    stop = threading.Event()
    caplog.set_level(logging.INFO, logger="app.notifications")
    thread = threading.Thread(target=run_sender, args=(sessions, {}, stop, 0.05), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while all_messages(sessions)[0].status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert all_messages(sessions)[0].status == "sent"
    assert "Vi har tagit emot er ansökan KS-2027/0042" in caplog.text


# -- senders --------------------------------------------------------------------------------


def a_message(**overrides) -> OutboxMessage:
    fields = {"id": 7, "created_at": T0, "kind": "beslut",
              "recipient_email": "sara@huddinge.example",
              "subject": "Beslut om er ansökan KS-2027/0042 – åäö",
              "body": "Hej!\n\nBeslut: Delvis bifall för Flemingsbergs fritidsgård.\n"}
    fields.update(overrides)
    return OutboxMessage(**fields)


def test_the_log_sender_logs_the_message(caplog):
    caplog.set_level(logging.INFO, logger="app.notifications")
    LogSender().send(a_message())
    assert "sara@huddinge.example" in caplog.text
    assert "Beslut om er ansökan KS-2027/0042 – åäö" in caplog.text
    assert "Flemingsbergs fritidsgård" in caplog.text


def test_the_sender_comes_from_the_configuration():
    assert isinstance(sender_from_config({}), LogSender)
    assert isinstance(sender_from_config({"SMTP_HOST": ""}), LogSender)
    smtp = sender_from_config({"SMTP_HOST": "smtp.huddinge.se", "SMTP_PORT": 25,
                               "SMTP_USERNAME": "tf", "SMTP_PASSWORD": "hemligt",
                               "SMTP_TLS": False, "MAIL_FROM": "fonden@huddinge.se"})
    assert smtp == SmtpSender(host="smtp.huddinge.se", port=25, username="tf",
                              password="hemligt", use_tls=False,
                              from_address="fonden@huddinge.se")
    assert "hemligt" not in repr(smtp)
    default = sender_from_config({"SMTP_HOST": "smtp.huddinge.se"})
    assert (default.port, default.use_tls, default.from_address) == (
        587, True, "trygghetsfonden@huddinge.se")


def tiny_smtp_server() -> tuple[int, dict, threading.Thread]:
    """Speak just enough SMTP on 127.0.0.1 to take one message; return its port and inbox."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    received: dict = {"rcpt": []}

    def serve():
        with listener, listener.accept()[0] as conn, conn.makefile("rb") as lines:
            conn.settimeout(10)

            def reply(text: str) -> None:
                conn.sendall(text.encode() + b"\r\n")

            reply("220 test ESMTP")
            for line in lines:
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    reply("250 test")
                elif verb == b"MAIL":
                    received["from"] = line.decode().strip()
                    reply("250 OK")
                elif verb == b"RCPT":
                    received["rcpt"].append(line.decode().strip())
                    reply("250 OK")
                elif verb == b"DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    data = []
                    for data_line in lines:
                        if data_line == b".\r\n":
                            break
                        data.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                    received["data"] = b"".join(data)
                    reply("250 OK queued")
                elif verb == b"QUIT":
                    reply("221 Bye")
                    break
                else:
                    reply("250 OK")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], received, thread


def test_smtp_sender_delivers_utf8_text_to_an_smtp_server():
    port, received, thread = tiny_smtp_server()
    message = a_message()
    SmtpSender(host="127.0.0.1", port=port, use_tls=False,
               from_address="trygghetsfonden@huddinge.se", timeout=10).send(message)
    thread.join(timeout=10)
    assert received["from"].upper() == "MAIL FROM:<TRYGGHETSFONDEN@HUDDINGE.SE>"
    assert [r.upper() for r in received["rcpt"]] == ["RCPT TO:<SARA@HUDDINGE.EXAMPLE>"]
    assert max(received["data"]) < 128  # 7-bit on the wire: any relay takes it
    mail = email.message_from_bytes(received["data"], policy=email.policy.default)
    assert mail["Subject"] == "Beslut om er ansökan KS-2027/0042 – åäö"
    assert mail["To"] == "sara@huddinge.example"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"] == "<outbox-7-20270301090000@huddinge.se>"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().replace("\r\n", "\n") == message.body  # CRLF on the wire


def test_smtp_sender_raises_when_the_server_cannot_be_reached():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again below: nobody listens there
    with pytest.raises(OSError):
        SmtpSender(host="127.0.0.1", port=port, use_tls=False, timeout=5).send(a_message())


# -- the outbox page ------------------------------------------------------------------------


@pytest.fixture
def outbox_app(app, database_url):
    """The app with the outbox blueprint (on a fresh app if the lead has not wired it yet)."""
    if "outbox" in app.blueprints:
        yield app
        return
    fresh = make_test_app(database_url)
    fresh.register_blueprint(outbox_bp)
    yield fresh
    fresh.extensions["db_engine"].dispose()


@pytest.mark.parametrize(("username", "expected"), [
    (None, 302), ("sokande", 404), ("bedomare", 404), ("ekonomi", 404),
    ("handlaggare", 200), ("admin", 200),
])
def test_the_outbox_page_is_for_officers_and_admins(outbox_app, demo, username, expected):
    client = outbox_app.test_client()
    if username:
        login(client, username)
    assert client.get("/utkorg").status_code == expected


def test_the_outbox_page_lists_messages_newest_first(outbox_app, sessions, demo):
    client = outbox_app.test_client()
    login(client, "handlaggare")
    page = client.get("/utkorg").get_data(as_text=True)
    assert "Inga meddelanden ännu." in page
    queue(sessions, "kvitto", ["forsta@huddinge.example"])
    queue(sessions, "beslut", ["andra@huddinge.example"])
    send_pending(sessions, RecordingSender(), now=utcnow() + timedelta(seconds=1), batch=1)
    response = client.get("/utkorg")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Inga meddelanden ännu." not in page
    assert page.index("andra@huddinge.example") < page.index("forsta@huddinge.example")
    assert "Vi har tagit emot er ansökan KS-2027/0042" in page
    assert "<details>" in page and "Beslut: Delvis bifall" in page
    assert "Skickat" in page and "Väntar" in page
