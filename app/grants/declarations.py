"""What a fund's process declares for the grant domain, read once per process version.

A process says which user task is which step (`grant:step` on the task), which message
catch event withdraws the application or reports a payout (`grant:message`), and its forms
say which field holds what (`"x-grant"` on a schema property, `"x-grant-outcomes"` on an
outcome field). The domain asks this structure ("the amount field of this fund's decision")
and never names a task, field or message of a shipped process. See README, "Declarations".
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import DEFAULTS
from app.engine.models import ProcessVersion
from app.engine.specs import Catalogue, Element, elements_of, specs_of_version
from app.forms import load_catalogue as load_form_catalogue

STEP_PROPERTY = "grant:step"
MESSAGE_PROPERTY = "grant:message"
FIELD_KEYWORD = "x-grant"
OUTCOMES_KEYWORD = "x-grant-outcomes"

# The steps a user task can be; a process must have the required ones.
STEPS = ("application", "completion", "formal_check", "assign_reviewers", "review",
         "proposal", "decision", "report", "report_review")
REQUIRED_STEPS = ("application", "decision")
# The messages a catch event can mean.
MESSAGES = ("withdrawal", "payout_done")
# Field meaning → the steps whose forms may declare it (None: an array item's field).
FIELDS: dict[str, tuple[str, ...] | None] = {
    "title": ("application", "completion"), "summary": ("application", "completion"),
    "requested_amount": ("application", "completion"), "contact": ("application", "completion"),
    "contact_name": ("application", "completion"),
    "contact_email": ("application", "completion"),
    "project_start": ("application", "completion"), "project_end": ("application", "completion"),
    "budget_lines": ("application", "completion"), "line_amount": None,
    "cofinancing": ("application", "completion"),
    "check_outcome": ("formal_check",), "completion_parts": ("formal_check",),
    "completion_message": ("formal_check",), "completion_deadline": ("formal_check",),
    "dismissed_motivation": ("formal_check",), "written_off_motivation": ("formal_check",),
    "reviewers": ("assign_reviewers",), "review_deadline": ("assign_reviewers",),
    "review": ("review",), "review_conflict": ("review",),
    "review_conflict_reason": ("review",), "review_scores": ("review",),
    "review_recommendation": ("review",), "review_amount": ("review",),
    "review_comment": ("review",), "criterion_score": None, "criterion_motivation": None,
    "proposal_outcome": ("proposal",), "proposal_amount": ("proposal",),
    "proposal_motivation": ("proposal",), "proposal_conditions": ("proposal",),
    "payout_plan": ("proposal", "decision"), "tranche_amount": None, "tranche_date": None,
    "tranche_condition": None, "report_due": ("proposal", "decision"),
    "decision_outcome": ("decision",), "decision_amount": ("decision",),
    "decision_motivation": ("decision",), "decision_conditions": ("decision",),
    "decision_organ": ("decision",), "meeting_date": ("decision",),
    "meeting_paragraph": ("decision",),
    "used_amount": ("report",),
    "report_review_outcome": ("report_review",), "report_review_message": ("report_review",),
    "claim_amount": ("report_review",),
    # What the overview and the effect follow-up count (app/effects/facts.py).
    "districts": ("application", "completion"), "prevention_kind": ("application", "completion"),
    "measure_types": ("application", "completion"), "plan_items": ("application", "completion"),
    "indicators": ("application", "completion"), "indicator_outcomes": ("report",),
    "indicator_name": None, "indicator_baseline": None, "indicator_target": None,
    "indicator_outcome": None,
}
# Fields every form of a step must declare.
REQUIRED_FIELDS = {"application": ("title", "requested_amount"),
                   "decision": ("decision_outcome", "decision_amount", "decision_motivation")}
# Outcome field → the meanings its values may have (x-grant-outcomes).
OUTCOMES = {
    "decision_outcome": ("granted", "partly_granted", "rejected", "dismissed", "written_off"),
    "proposal_outcome": ("granted", "partly_granted", "rejected"),
    "check_outcome": ("complete", "completion", "dismissed", "written_off"),
    "review_conflict": ("none", "conflict"),
    "report_review_outcome": ("approved", "more", "claim"),
}
GRANTING = ("granted", "partly_granted")


@dataclass(frozen=True)
class FieldRef:
    """Where a meaning lives: a form and the keys from the task data (or from an array item,
    for an item's field) to the value."""

    form: str
    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        """The field path as form errors name it (`kontaktperson.epost`)."""
        return ".".join(self.path)


@dataclass(frozen=True)
class ProcessDeclarations:
    """The declarations of one process version."""

    process_id: str
    steps: Mapping[str, str]  # user task id → step
    messages: Mapping[str, str]  # meaning → message name
    payloads: Mapping[str, str]  # meaning → the variable the message's payload lands in
    fields: Mapping[str, tuple[FieldRef, ...]]  # meaning → where (one per form declaring it)
    outcomes: Mapping[str, Mapping[str, str]]  # outcome field meaning → {value: outcome}

    def step_of(self, task_name: str | None) -> str | None:
        """Return the step a user task is, or None."""
        return self.steps.get(task_name or "")

    def tasks_of(self, *steps: str) -> tuple[str, ...]:
        """Return the user tasks that are one of `steps`."""
        return tuple(task for task, step in self.steps.items() if step in steps)

    def message(self, meaning: str) -> str | None:
        """Return the message name that means `meaning`, or None when not declared."""
        return self.messages.get(meaning)

    def payload(self, meaning: str, data: Mapping) -> Mapping:
        """Return the payload a declared message brought into the case data ({} if none)."""
        found = data.get(self.payloads.get(meaning) or "")
        return found if isinstance(found, Mapping) else {}

    def field(self, meaning: str) -> FieldRef | None:
        """Return where the first form declaring `meaning` holds it, or None."""
        refs = self.fields.get(meaning)
        return refs[0] if refs else None

    def path(self, meaning: str) -> str:
        """Return the field path of `meaning` for error messages ("" when undeclared)."""
        ref = self.field(meaning)
        return ref.dotted if ref else ""

    def value(self, meaning: str, data: Mapping | None, default=None):
        """Return the value of `meaning` in task or case data (or an array item)."""
        for ref in self.fields.get(meaning, ()):
            found = _walk(data, ref.path)
            if found is not _MISSING:
                return found
        return default

    def value_in(self, meaning: str, container: str, data: Mapping | None, default=None):
        """Return the value of `meaning` in a copy of the object field `container` (e.g. a
        review in the case's list of reviews): its path relative to the container."""
        for ref in self.fields.get(meaning, ()):
            for outer in self.fields.get(container, ()):
                if ref.form == outer.form and ref.path[:len(outer.path)] == outer.path:
                    found = _walk(data, ref.path[len(outer.path):])
                    if found is not _MISSING:
                        return found
        return default

    def outcome(self, meaning: str, data: Mapping | None) -> str | None:
        """Return what the outcome field `meaning` in `data` means (e.g. "granted")."""
        value = self.value(meaning, data)
        return self.outcomes.get(meaning, {}).get(value) if isinstance(value, str) else None

    def outcome_in(self, meaning: str, container: str, data: Mapping | None) -> str | None:
        """Return what the outcome field `meaning` means in a copy of `container`."""
        value = self.value_in(meaning, container, data)
        return self.outcomes.get(meaning, {}).get(value) if isinstance(value, str) else None

    def outcome_value(self, meaning: str, outcome: str) -> str | None:
        """Return the form value of the outcome field `meaning` that means `outcome`."""
        return next((value for value, said in self.outcomes.get(meaning, {}).items()
                     if said == outcome), None)


_MISSING = object()


def _walk(data, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return _MISSING
        data = data[key]
    return data


def build_declarations(process_id: str, elements: list[Element],
                       schemas: Mapping[str, dict]) -> ProcessDeclarations:
    """Read the declarations of a process from its elements and its forms' schemas."""
    steps = {e.element_id: e.properties[STEP_PROPERTY] for e in elements
             if e.user_task and e.properties.get(STEP_PROPERTY)}
    messages = {e.properties[MESSAGE_PROPERTY]: e.message for e in elements
                if e.message and e.properties.get(MESSAGE_PROPERTY)}
    payloads = {e.properties[MESSAGE_PROPERTY]: e.message_variable for e in elements
                if e.message and e.message_variable and e.properties.get(MESSAGE_PROPERTY)}
    fields: dict[str, list[FieldRef]] = {}
    outcomes: dict[str, dict[str, str]] = {}
    used = sorted({e.form for e in elements if e.user_task and e.form in schemas})
    for form in used:
        for path, node in declared_properties(schemas[form]):
            meaning = node[FIELD_KEYWORD]
            ref = FieldRef(form, path)
            if ref not in fields.setdefault(meaning, []):
                fields[meaning].append(ref)
            if isinstance(node.get(OUTCOMES_KEYWORD), Mapping):
                outcomes.setdefault(meaning, {}).update(node[OUTCOMES_KEYWORD])
    return ProcessDeclarations(
        process_id, MappingProxyType(steps), MappingProxyType(messages),
        MappingProxyType(payloads),
        MappingProxyType({m: tuple(refs) for m, refs in fields.items()}),
        MappingProxyType({m: MappingProxyType(v) for m, v in outcomes.items()}))


def declared_properties(schema: Mapping, path: tuple[str, ...] = ()):
    """Yield (path, property schema) of every property carrying x-grant; an array item's
    properties get paths relative to the item."""
    for name, node in (schema.get("properties") or {}).items():
        if not isinstance(node, Mapping):
            continue
        if FIELD_KEYWORD in node:
            yield (*path, name), node
        if isinstance(node.get("properties"), Mapping):
            yield from declared_properties(node, (*path, name))
        if isinstance(node.get("items"), Mapping):
            yield from declared_properties(node["items"], ())


# Declarations by version content hash (a version never changes).
_BY_HASH: dict[str, ProcessDeclarations] = {}


def declarations_of(session: Session, version: ProcessVersion) -> ProcessDeclarations:
    """Return the declarations of a stored process version (read once per version). A
    version stored before processes declared anything reads those of the newest version of
    its process that does (its cases keep running on new code)."""
    found = _BY_HASH.get(version.content_hash)
    if found is None:
        found = _read(session, version.id, version.process_id)
        if not found.steps:
            newer = session.execute(
                select(ProcessVersion.id, ProcessVersion.content_hash)
                .where(ProcessVersion.process_id == version.process_id,
                       ProcessVersion.id > version.id)
                .order_by(ProcessVersion.id.desc())).first()
            if newer is None:
                return found  # not remembered: a newer version may be stored later
            found = _BY_HASH.get(newer.content_hash) or _read(
                session, newer.id, version.process_id)
        _BY_HASH[version.content_hash] = found
    return found


def _read(session: Session, version_id: int, process_id: str) -> ProcessDeclarations:
    sources, forms = session.execute(
        select(ProcessVersion.sources, ProcessVersion.forms)
        .where(ProcessVersion.id == version_id)).one()
    spec, subprocess_specs = specs_of_version(sources, process_id)
    if forms is None:  # versions stored before forms were: they run with forms/
        forms = {name: {"schema": form.schema} for name, form in
                 load_form_catalogue(Path(DEFAULTS["FORMS_DIR"])).items()}
    return build_declarations(process_id, elements_of(spec, subprocess_specs),
                              {name: form["schema"] for name, form in forms.items()})


def declarations_of_instance(session: Session, instance) -> ProcessDeclarations:
    """Return the declarations of the process version an instance runs."""
    return declarations_of(session, instance.process_version)


def catalogue_declarations(catalogue: Catalogue) -> dict[str, ProcessDeclarations]:
    """Return the declarations of every process of a catalogue, by process id."""
    return {pid: build_declarations(
                pid, elements_of(d.spec, d.subprocess_specs),
                {name: form.schema for name, form in catalogue.forms.items()})
            for pid, d in catalogue.processes.items()}
