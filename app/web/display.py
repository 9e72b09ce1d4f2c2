"""Display filters in the reader's language: a time relative to now with its date."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from app.db import utcnow
from app.formatting import STOCKHOLM, date_time, kronor, short_date


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """Say when, relative and absolute: `i dag 14:05`, `i går 09:10 (2027-03-13)`,
    `3 dagar sedan (2027-03-11)`; a future time as its date and time."""
    if value is None:
        return "–"
    local = value.astimezone(STOCKHOLM)
    today = (now or utcnow()).astimezone(STOCKHOLM).date()
    days = (today - local.date()).days
    clock, day = local.strftime("%H:%M"), local.date().isoformat()
    if days == 0:
        return _("i dag %(time)s", time=clock)
    if days == 1:
        return _("i går %(time)s (%(date)s)", time=clock, date=day)
    if days < 0:
        return f"{day} {clock}"
    return ngettext("%(num)d dag sedan (%(date)s)", "%(num)d dagar sedan (%(date)s)", days,
                    date=day)


def cell(value) -> str:
    """A list cell: amounts in kronor, dates and times in Stockholm, nothing as a dash."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, Decimal):
        return kronor(value)
    if isinstance(value, datetime):
        return date_time(value)
    if isinstance(value, date):
        return short_date(value)
    return str(value)


FILTERS = {"nar": relative_time, "cell": cell}
