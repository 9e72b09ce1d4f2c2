"""A long form in parts: the uischema's `ui:groups` make sections, each marked done, begun
or not begun from the data so far (a task list); the schema's if/then make the questions
that only apply under a condition (shown by the page's script when it holds)."""

from dataclasses import dataclass

GROUPS = "ui:groups"
STATES = ("klar", "paborjad", "ej_paborjad")


@dataclass
class Section:
    id: str
    title: str
    fields: list[str]
    state: str


def form_sections(schema: dict, uischema: dict, data: dict) -> list[Section]:
    """Return the form's sections (the groups with fields this form has), with their state."""
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    sections = []
    for number, group in enumerate(uischema.get(GROUPS) or [], start=1):
        names = [n for n in group.get("fields", []) if n in properties]
        if names:
            filled = {n for n in names
                      if n in data and data[n] != properties[n].get("default")
                      and _filled(data[n])}
            sections.append(Section(f"del-{number}", group.get("title", ""), names,
                                    _state(names, required, filled)))
    return sections


def _filled(value) -> bool:
    """Something was entered (an empty row or an unticked box is nothing)."""
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    return value not in (None, "", False)


def _state(names: list[str], required: set[str], filled: set[str]) -> str:
    if not filled:
        return "ej_paborjad"
    return "klar" if required.intersection(names) <= filled else "paborjad"


def conditions(schema: dict, uischema: dict | None = None) -> list[dict]:
    """Return the schema's simple if/then rules as {field, values, show}: the fields `show`
    (required by the `then`) apply when `field` holds (or contains) one of `values`. A field
    that is worth filling in also when no rule requires it (e.g. a motivation that is optional
    on bifall) says `"ui:alwaysShown": true` in the uischema and is never hidden."""
    always = {name for name, ui in (uischema or {}).items()
              if isinstance(ui, dict) and ui.get("ui:alwaysShown")}
    found = []
    for rule in schema.get("allOf", []):
        tests = (rule.get("if") or {}).get("properties") or {}
        show = [name for name in (rule.get("then") or {}).get("required") or []
                if name not in always]
        if len(tests) != 1 or not show:
            continue
        [(field, test)] = tests.items()
        values = _values(test.get("contains", test))
        if values and field in schema.get("properties", {}):  # a subset may lack the field
            found.append({"field": field, "values": values, "show": list(show)})
    return found


def _values(test: dict) -> list:
    if "const" in test:
        return [test["const"]]
    return list(test.get("enum") or [])
