"""The case's process map: its diagram (the case's own process version) and the state of every
step as JSON for the viewer (static/process-map.js), and the same facts in words for the
ordered list the case page always shows."""

from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, Response, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from app.db import utcnow
from app.engine.process_map import (
    CANCELLED,
    COMPLETED,
    CURRENT,
    NOT_REACHED,
    StateUnreadable,
    diagram_of,
)
from app.formatting import date_time, short_date
from app.grants import applications
from app.grants.case_map import CaseMap, Step, case_map
from app.web.context import current_user, db, engine, language, login_required

bp = Blueprint("process_map", __name__)

STATES = {
    COMPLETED: lazy_gettext("Klart"),
    CURRENT: lazy_gettext("Pågår"),
    CANCELLED: lazy_gettext("Avbrutet"),
    NOT_REACHED: lazy_gettext("Inte nått"),
}
ROLES = {
    "sokande": lazy_gettext("Sökande"),
    "handlaggare": lazy_gettext("Handläggare"),
    "bedomare": lazy_gettext("Bedömare"),
    "beslutsfattare": lazy_gettext("Beslutsfattare"),
    "ekonomi": lazy_gettext("Ekonomi"),
}


@dataclass(frozen=True)
class StepView:
    """A step in the reader's words: its facts as (label, value) pairs and its SLA clock."""

    id: str
    name: str
    state: str
    state_label: str
    facts: list[tuple[str, str]]
    clock: str | None
    overdue: bool

    def as_json(self) -> dict:
        return {"name": self.name, "state": self.state, "stateLabel": self.state_label,
                "facts": [list(f) for f in self.facts], "clock": self.clock,
                "overdue": self.overdue}


@bp.route("/ansokningar/<int:application_id>/processkarta.json")
@login_required
def states(application_id: int):
    """The state of every element of the case's process and the flows taken."""
    the_map = map_of(application_id)
    return jsonify({"version": the_map.version_id, "flows": the_map.flows_taken,
                    "elements": {v.id: v.as_json() for v in present(the_map, listed=False)}})


@bp.route("/ansokningar/<int:application_id>/processkarta.bpmn")
@login_required
def diagram(application_id: int):
    """The BPMN diagram of the process version the case runs on."""
    application = applications.get_application(db(), current_user(), application_id)
    xml = diagram_of(engine(), application.instance.process_version, language()).xml
    return Response(xml, mimetype="application/xml")


def map_of(application_id: int) -> CaseMap:
    """The process map of a case the current user may see (else NotFound)."""
    return map_for(applications.get_application(db(), current_user(), application_id))


def map_for(application) -> CaseMap:
    """The process map of a case the access check has given the current user."""
    return case_map(db(), engine(), current_user(), application, utcnow(), language())


def steps_or_none(application) -> list["StepView"] | None:
    """The listed steps of a case's map, or None when its stored state cannot be read (the
    case page still shows everything else)."""
    try:
        return present(map_for(application))
    except StateUnreadable:
        return None


def present(the_map: CaseMap, listed: bool = True) -> list[StepView]:
    """Every step (or the listed ones, in order) in the reader's words."""
    steps = the_map.listed() if listed else the_map.steps
    return [_view(step, the_map) for step in steps]


def _view(step: Step, the_map: CaseMap) -> StepView:
    left = the_map.seconds_left(step)
    return StepView(step.element.id, step.element.name, step.state, str(STATES[step.state]),
                    _facts(step), _clock(step, left), left is not None and left < 0)


def _facts(step: Step) -> list[tuple[str, str]]:
    facts = []
    if step.element.role in ROLES:
        facts.append((_("Roll"), str(ROLES[step.element.role])))
    who = sorted({r.done_by for r in step.runs if r.done_by})
    if who:
        facts.append((_("Utfört av"), ", ".join(who)))
    if step.state == CURRENT and step.started_at:
        facts.append((_("Pågår sedan"), date_time(step.started_at)))
    elif step.completed_at:
        facts.append((_("Klart"), date_time(step.completed_at)))
    if step.duration is not None:
        facts.append((_("Tid"), duration_words(step.duration)))
    if step.due_at:
        facts.append((_("Senast"), short_date(step.due_at)))
    return facts


def _clock(step: Step, left: int | None) -> str | None:
    if left is None:
        return None
    if left < 0:
        return _("Försenad med %(time)s", time=duration_words(timedelta(seconds=-left)))
    return _("%(time)s kvar", time=duration_words(timedelta(seconds=left)))


def duration_words(span: timedelta) -> str:
    """A span in whole days, else hours, else minutes: `3 dagar`, `5 timmar`, `1 minut`."""
    if span.days:
        return ngettext("%(num)d dag", "%(num)d dagar", span.days)
    hours, minutes = span.seconds // 3600, span.seconds // 60
    if hours:
        return ngettext("%(num)d timme", "%(num)d timmar", hours)
    if minutes:
        return ngettext("%(num)d minut", "%(num)d minuter", minutes)
    return _("under en minut")
