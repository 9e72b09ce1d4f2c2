"""Swedish display formats: amounts `1 234 567 kr`, dates `2027-03-14`, times in Stockholm."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NBSP = "\u00a0"


def kronor(value) -> str:
    """Format an amount as `1 234 567 kr` (no-break spaces, decimals only when present)."""
    if value in (None, ""):
        return "–"
    amount = Decimal(str(value))
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    text = format_decimal(amount, format=pattern, locale="sv_SE")
    return f"{text}{NBSP}kr".replace("\u202f", NBSP)


def short_date(value) -> str:
    """Format a date or datetime as 2027-03-14 (Stockholm time)."""
    if value in (None, ""):
        return "–"
    return to_local_date(value).isoformat()


def file_size(size: int | None) -> str:
    """Format a byte count the Swedish way: `812 byte`, `6,2 kB`, `1,4 MB` (SI units)."""
    if size is None:
        return "–"
    for unit, factor in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= factor:
            text = format_decimal(size / factor, format="#,##0.#", locale="sv_SE")
            return f"{text}{NBSP}{unit}".replace("\u202f", NBSP)
    return f"{size}{NBSP}byte"


def local_today() -> date:
    """Today in Stockholm (the server clock may run in UTC)."""
    return datetime.now(STOCKHOLM).date()


def to_local_date(value) -> date:
    """A date from a date, an aware datetime (its Stockholm date) or an ISO string."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).date()
    return value


def date_time(value: datetime | None) -> str:
    """Format a datetime as 2027-03-14 09:05 in Stockholm time."""
    if value is None:
        return "–"
    return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def long_date(value: date) -> str:
    """Format a date as `14 mars 2027` (letters)."""
    return format_date(value, "d MMMM y", locale="sv_SE")


def is_overdue(due_at: datetime | None, now: datetime | None = None) -> bool:
    """A deadline that has passed."""
    return due_at is not None and due_at < (now or datetime.now(UTC))


def age_in_days(since: datetime | None, now: datetime | None = None) -> int | None:
    """Whole days since a time (e.g. since an application came in)."""
    if since is None:
        return None
    return ((now or datetime.now(UTC)) - since).days


FILTERS = {"kr": kronor, "datum": short_date, "tid": date_time, "langt_datum": long_date,
           "forsenad": is_overdue, "dagar_sedan": age_in_days, "storlek": file_size}
