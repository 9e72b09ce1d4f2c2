"""The mail seam: a `Sender` delivers one outbox message or raises.

Development logs messages (LogSender); production hands them to an SMTP relay (SmtpSender).
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from app.notifications.models import OutboxMessage

log = logging.getLogger("app.notifications")

DEFAULT_FROM = "trygghetsfonden@huddinge.se"


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None:
        """Deliver the message; raise if it was not accepted."""


class LogSender:
    """Development: write the message to the log and nothing else."""

    def send(self, message: OutboxMessage) -> None:
        log.info("Meddelande %s till %s\nÄmne: %s\n\n%s", message.id, message.recipient_email,
                 message.subject, message.body)


@dataclass(frozen=True)
class SmtpSender:
    """Production: submit the message to an SMTP relay (STARTTLS unless use_tls is off)."""

    host: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = True
    from_address: str = DEFAULT_FROM
    timeout: float = 30.0

    def send(self, message: OutboxMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email_of(message, self.from_address))


def email_of(message: OutboxMessage, from_address: str) -> EmailMessage:
    """Build the e-mail: UTF-8 text, quoted-printable so any relay takes it unchanged."""
    email = EmailMessage()
    email["From"] = from_address
    email["To"] = message.recipient_email
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    # Stable per row: a message resent after a crash can be recognised as the same one.
    domain = from_address.rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<outbox-{message.id}-{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    # RFC 3834: an automatic message; out-of-office replies should not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body, charset="utf-8", cte="quoted-printable")
    return email


def sender_from_config(config) -> Sender:
    """Return the SMTP sender when SMTP_HOST is set, else the logging sender."""
    host = str(config.get("SMTP_HOST") or "").strip()
    if not host:
        return LogSender()
    return SmtpSender(
        host=host,
        port=int(config.get("SMTP_PORT", 587)),
        username=str(config.get("SMTP_USERNAME") or ""),
        password=str(config.get("SMTP_PASSWORD") or ""),
        use_tls=bool(config.get("SMTP_TLS", True)),
        from_address=str(config.get("MAIL_FROM") or DEFAULT_FROM),
    )
