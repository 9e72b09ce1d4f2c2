"""The catalogue check of declarations: a process a fund can run declares what the grant
domain needs (its application and decision steps, their fields), and nothing unknown."""

from collections.abc import Mapping

from app.accounts.roles import role_for_lane
from app.engine.specs import Catalogue, elements_of
from app.engine.tasks import ORGANISATION_SCOPED_ROLES
from app.grants.declarations import (
    FIELD_KEYWORD,
    FIELDS,
    MESSAGE_PROPERTY,
    MESSAGES,
    OUTCOMES,
    OUTCOMES_KEYWORD,
    REQUIRED_FIELDS,
    REQUIRED_STEPS,
    STEP_PROPERTY,
    STEPS,
    declared_properties,
)


def declaration_problems(catalogue: Catalogue) -> list[str]:
    """Return every missing or unknown declaration of the catalogue's grant processes: those
    where an organisation applies (a user task in an organisation's lane, the applicant's).
    Other processes (engine fixtures, a process only called by another) declare nothing."""
    problems = []
    for pid, definition in sorted(catalogue.processes.items()):
        elements = elements_of(definition.spec, definition.subprocess_specs)
        if not any(e.user_task and role_for_lane(e.lane) in ORGANISATION_SCOPED_ROLES
                   for e in elements):
            continue
        where = f"{definition.filename}: {pid}"
        problems += _element_problems(where, elements)
        declared = {e.properties.get(STEP_PROPERTY) for e in elements if e.user_task}
        problems += [f"{where}: ingen användaruppgift har {STEP_PROPERTY} '{step}' (ange "
                     f"spiffworkflow:property name=\"{STEP_PROPERTY}\" value=\"{step}\" på "
                     "den uppgiften)" for step in REQUIRED_STEPS if step not in declared]
        for element in elements:
            step = element.properties.get(STEP_PROPERTY)
            form = catalogue.forms.get(element.form or "")
            if form is None or step not in STEPS:
                continue
            problems += _misplaced_fields(f"{where}/{element.element_id}", element.form,
                                          form.schema, step)
            if step in REQUIRED_FIELDS:
                problems += _missing_fields(f"{where}/{element.element_id}", element.form,
                                            form.schema, REQUIRED_FIELDS[step])
    for name, form in sorted(catalogue.forms.items()):
        problems += [f"forms/{name}-schema.json: {p}" for p in _field_problems(form.schema)]
    return problems


def _element_problems(where: str, elements) -> list[str]:
    problems = []
    for element in elements:
        step = element.properties.get(STEP_PROPERTY)
        if step is not None and (not element.user_task or step not in STEPS):
            problems.append(f"{where}/{element.element_id}: {STEP_PROPERTY} '{step}' gäller "
                            f"bara användaruppgifter och är ett av {', '.join(STEPS)}")
        message = element.properties.get(MESSAGE_PROPERTY)
        if message is not None and (not element.message or message not in MESSAGES):
            problems.append(f"{where}/{element.element_id}: {MESSAGE_PROPERTY} '{message}' "
                            "gäller bara meddelandehändelser som tar emot och är ett av "
                            f"{', '.join(MESSAGES)}")
    return problems


def _missing_fields(where: str, form: str, schema: Mapping, required) -> list[str]:
    declared = {node[FIELD_KEYWORD] for _path, node in declared_properties(schema)}
    return [f"{where}: formuläret forms/{form}-schema.json saknar ett fält med "
            f"\"{FIELD_KEYWORD}\": \"{meaning}\"" for meaning in required
            if meaning not in declared]


def _misplaced_fields(where: str, form: str, schema: Mapping, step: str) -> list[str]:
    """A meaning belongs to the forms of certain steps (an array item's to its array)."""
    return [f"{where}: fältet {'.'.join(path)} i forms/{form}-schema.json: \"{FIELD_KEYWORD}\": "
            f"\"{node[FIELD_KEYWORD]}\" hör till {', '.join(FIELDS[node[FIELD_KEYWORD]])}, inte "
            f"till {STEP_PROPERTY} '{step}'"
            for path, node in declared_properties(schema)
            if FIELDS.get(node[FIELD_KEYWORD]) and step not in FIELDS[node[FIELD_KEYWORD]]]


def _field_problems(schema: Mapping) -> list[str]:
    problems = []
    for path, node in declared_properties(schema):
        name, meaning = ".".join(path), node[FIELD_KEYWORD]
        if meaning not in FIELDS:
            problems.append(f"fältet {name}: \"{FIELD_KEYWORD}\": \"{meaning}\" är okänt")
            continue
        if meaning not in OUTCOMES:
            continue
        said = node.get(OUTCOMES_KEYWORD)
        if not isinstance(said, Mapping):
            problems.append(f"fältet {name}: ange \"{OUTCOMES_KEYWORD}\" (värde → ett av "
                            f"{', '.join(OUTCOMES[meaning])})")
            continue
        choices = _choices(node)
        problems += [f"fältet {name}: \"{OUTCOMES_KEYWORD}\" anger '{value}' som inte är ett "
                     "av fältets val" for value in said if choices and value not in choices]
        problems += [f"fältet {name}: \"{OUTCOMES_KEYWORD}\": '{outcome}' är okänt (ett av "
                     f"{', '.join(OUTCOMES[meaning])})" for outcome in said.values()
                     if outcome not in OUTCOMES[meaning]]
    return problems


def _choices(node: Mapping) -> set:
    if isinstance(node.get("enum"), list):
        return set(node["enum"])
    return {option.get("const") for option in node.get("oneOf") or []
            if isinstance(option, Mapping)}
