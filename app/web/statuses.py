"""Task names, case statuses and payout states in the page's language.

They are stored in Swedish: a task's title is its BPMN name, a case's status the names of its
open tasks (" / "), the end event it finished at, or a state the case rules set
(app/grants/applications.sync_application). English names of BPMN elements are data in the
BPMN (the spiffworkflow property `name:en`, see app/engine/specs.py); the case rules' own
states are translated here.
"""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext

from app.web.context import catalogue, language

# The states app/grants/applications.py sets besides task and end-event names.
STATES = {
    "Utkast": lazy_gettext("Utkast"),
    "Avslutad": lazy_gettext("Avslutad"),
    "Beslutad": lazy_gettext("Beslutad"),
    "Pågår": lazy_gettext("Pågår"),
    "Beviljad, väntar på utbetalning": lazy_gettext("Beviljad, väntar på utbetalning"),
}
# A payout's state (app/payouts/models.PAYOUT_STATES) by its key.
PAYOUT_STATES = {
    "waiting": lazy_gettext("Väntar på villkor"),
    "planned": lazy_gettext("Planerad"),
    "attested": lazy_gettext("Attesterad"),
    "batched": lazy_gettext("I utbetalningsbatch"),
    "paid": lazy_gettext("Utbetald"),
    "cancelled": lazy_gettext("Avbruten"),
}
WAITING = re.compile(r"(?P<state>Beslutad|Pågår), väntar till (?P<date>.+)")
SEPARATOR = " / "


def process_name(name: str | None) -> str | None:
    """Return a task's or end event's (Swedish) name in the page's language."""
    lang = language()
    if not name or lang == "sv":
        return name
    return catalogue().names_in(lang).get(name) or str(STATES.get(name, name))


def case_status(status: str | None) -> str | None:
    """Return a case's (Swedish) status in the page's language."""
    if not status or language() == "sv":
        return status
    waiting = WAITING.fullmatch(status)
    if waiting:
        return _("%(state)s, väntar till %(date)s", state=process_name(waiting["state"]),
                 date=waiting["date"])
    return SEPARATOR.join(process_name(part) for part in status.split(SEPARATOR))


def payout_state(state: str) -> str:
    """Return a payout's state (its key) in the page's language."""
    return str(PAYOUT_STATES.get(state, state))


FILTERS = {"process_name": process_name, "case_status": case_status,
           "payout_state": payout_state}
