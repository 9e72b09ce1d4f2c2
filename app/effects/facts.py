"""The facts a case records for the overview and the effect report, read from the case data
through the form fields that declare them (JSON Schema keyword "x-grant"):

- `districts` (list of kommundel codes), `prevention_kind` (one value), `measure_types` (list),
  `plan_items` (list of åtgärdsplan codes): one CaseFact row per value;
- `indicators` (rows whose item properties declare `indicator_name`, `indicator_baseline`,
  `indicator_target`) and `indicator_outcomes` (rows with `indicator_name` and
  `indicator_outcome`, from the follow-up report): one CaseIndicator per indicator.

The rows are rewritten only when the facts change, so saving a case costs one small query."""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.effects.models import CaseFact, CaseIndicator
from app.engine.models import ProcessInstance, ProcessVersion
from app.grants.models import Application

KEYWORD = "x-grant"
# Declared meaning → the kind of CaseFact it gives.
FACT_MEANINGS = {"districts": "district", "prevention_kind": "prevention_kind",
                 "measure_types": "measure_type", "plan_items": "plan_item"}
ROW_MEANINGS = ("indicators", "indicator_outcomes")
ITEM_MEANINGS = ("indicator_name", "indicator_baseline", "indicator_target", "indicator_outcome")
MAX_VALUE = 200  # CaseFact.value
MAX_TEXT = 300  # CaseIndicator texts


@dataclass(frozen=True)
class FactFields:
    """Where a process version's forms keep each fact: meaning → field name, and for row
    fields the item property of each item meaning."""

    fields: dict[str, str] = field(default_factory=dict)
    items: dict[str, dict[str, str]] = field(default_factory=dict)


def fact_fields(forms: Mapping[str, Mapping]) -> FactFields:
    """Read the declarations of the forms ({name: {"schema": …}}) of a process version."""
    fields, items = {}, {}
    for form in forms.values():
        for name, prop in (form.get("schema") or {}).get("properties", {}).items():
            meaning = prop.get(KEYWORD) if isinstance(prop, dict) else None
            if meaning in FACT_MEANINGS or meaning in ROW_MEANINGS:
                fields.setdefault(meaning, name)
            if meaning in ROW_MEANINGS:
                properties = (prop.get("items") or {}).get("properties", {})
                items[meaning] = {sub.get(KEYWORD): key for key, sub in properties.items()
                                  if isinstance(sub, dict) and sub.get(KEYWORD) in ITEM_MEANINGS}
    return FactFields(fields, items)


# Content hash → the declarations of that version (a stored version never changes).
_BY_VERSION: dict[str, FactFields] = {}


def fact_fields_of(session: Session, instance: ProcessInstance) -> FactFields:
    """The declarations of the instance's process version (read once per version)."""
    version = instance.process_version
    if version.content_hash not in _BY_VERSION:
        forms = session.scalar(select(ProcessVersion.forms)
                               .where(ProcessVersion.id == version.id)) or {}
        _BY_VERSION[version.content_hash] = fact_fields(forms)
    return _BY_VERSION[version.content_hash]


def record_case_facts(session: Session, application: Application, data: Mapping,
                      declared: FactFields) -> None:
    """Bring the case's CaseFact and CaseIndicator rows in step with its data (no statement
    at all while they are unchanged)."""
    if application.id is None:
        return
    facts = sorted(case_facts(data, declared))
    indicators = case_indicators(data, declared)
    digest = hashlib.sha256(json.dumps([facts, indicators]).encode()).hexdigest()
    if digest == application.facts_digest:
        return
    if application.facts_digest is not None:  # None: nothing recorded yet
        session.execute(delete(CaseFact).where(CaseFact.application_id == application.id))
        session.execute(delete(CaseIndicator)
                        .where(CaseIndicator.application_id == application.id))
    session.add_all(CaseFact(application_id=application.id, kind=kind, value=value)
                    for kind, value in facts)
    session.add_all(CaseIndicator(application_id=application.id, position=position, name=name,
                                  baseline=baseline, target=target, outcome=outcome,
                                  reached=reached)
                    for position, (name, baseline, target, outcome, reached)
                    in enumerate(indicators))
    application.facts_digest = digest


def case_facts(data: Mapping, declared: FactFields) -> set[tuple[str, str]]:
    """The (kind, value) facts of case data."""
    facts = set()
    for meaning, kind in FACT_MEANINGS.items():
        name = declared.fields.get(meaning)
        value = data.get(name) if name else None
        values = value if isinstance(value, list) else [value]
        facts.update((kind, str(v)[:MAX_VALUE]) for v in values if v not in (None, ""))
    return facts


def case_indicators(data: Mapping, declared: FactFields) -> list[tuple]:
    """(name, baseline, target, outcome, reached) of every indicator of case data, the
    outcome matched by the indicator's name in the follow-up report."""
    planned = _rows(data, declared, "indicators")
    reported = {_clean(row.get("indicator_name")).casefold(): _clean(row.get("indicator_outcome"))
                for row in _rows(data, declared, "indicator_outcomes")}
    result = []
    for row in planned:
        name = _clean(row.get("indicator_name"))
        if not name:
            continue
        baseline = _clean(row.get("indicator_baseline"))
        target = _clean(row.get("indicator_target"))
        outcome = reported.get(name.casefold())
        result.append((name, baseline, target, outcome, is_reached(baseline, target, outcome)))
    return result


def _rows(data: Mapping, declared: FactFields, meaning: str) -> list[dict]:
    """The rows of a declared row field, keyed by item meaning."""
    name, keys = declared.fields.get(meaning), declared.items.get(meaning, {})
    rows = data.get(name) if name else None
    if not isinstance(rows, list):
        return []
    return [{item: row.get(key) for item, key in keys.items()}
            for row in rows if isinstance(row, Mapping)]


def _clean(value) -> str:
    return "" if value is None else str(value).strip()[:MAX_TEXT]


NUMBER = re.compile(r"-?\d+(?:[ \u00a0]\d{3})*(?:[.,]\d+)?")


def number_in(text: str | None) -> Decimal | None:
    """The first number in a text ("12 %", "1 200 besök", "3,5"), or None."""
    found = NUMBER.search(text or "")
    if found is None:
        return None
    try:
        return Decimal(re.sub(r"[ \u00a0]", "", found.group()).replace(",", "."))
    except InvalidOperation:
        return None


def is_reached(baseline: str, target: str, outcome: str | None) -> bool | None:
    """Whether the outcome reached the target, moving from the baseline towards it; None
    when any of the three is not a number (then a person must judge it)."""
    start, goal, result = number_in(baseline), number_in(target), number_in(outcome)
    if start is None or goal is None or result is None:
        return None
    return result <= goal if goal < start else result >= goal


def option_labels(schemas, meaning: str, lang: str = "sv") -> dict[str, str]:
    """Value → title of the options of the field declaring `meaning` (of a list's items
    too), in `lang` where the form has it ("x-<lang>" titles)."""
    for schema in schemas:
        for prop in (schema or {}).get("properties", {}).values():
            if isinstance(prop, dict) and prop.get(KEYWORD) == meaning:
                options = (prop.get("items") or prop).get("oneOf") or []
                return {str(o.get("const")): _title(o, lang) for o in options
                        if isinstance(o, dict) and "const" in o}
    return {}


def _title(option: dict, lang: str) -> str:
    translated = option.get(f"x-{lang}") or {}
    return str(translated.get("title") or option.get("title") or option.get("const"))


def record_missing_facts(sessions, batch: int = 500) -> int:
    """Record the facts of every case that has none recorded (cases saved before the
    overview existed), `batch` cases per transaction; return how many."""
    done, last_id = 0, 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(Application, ProcessInstance)
                .join(ProcessInstance, ProcessInstance.id == Application.process_instance_id)
                .where(Application.facts_digest.is_(None), Application.id > last_id)
                .order_by(Application.id).limit(batch)).all()
            if not rows:
                return done
            for application, instance in rows:
                record_case_facts(session, application, instance.data or {},
                                  fact_fields_of(session, instance))
            session.commit()
            done, last_id = done + len(rows), rows[-1][0].id
