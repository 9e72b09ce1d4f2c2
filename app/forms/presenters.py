"""Show saved form data the way the form asked for it: labels, choice titles, amounts."""

from dataclasses import dataclass, field

from app.formatting import kronor, short_date
from app.forms.kinds import is_attachments
from app.forms.languages import SOURCE_LANGUAGE, translate
from app.forms.languages import untranslated as _
from app.forms.sections import conditions, form_sections

AMOUNT_HINTS = ("belopp", "(kr)", "(sek)")  # the Swedish and the English titles


@dataclass
class Entry:
    label: str
    value: str = ""
    rows: list[list[str]] | None = None  # an array of objects: a table
    columns: list[str] = field(default_factory=list)
    files: list[tuple[int, str]] | None = None  # attached files: (id, name) to link to


def describe(schema: dict, uischema: dict, data: dict,
             lang: str = SOURCE_LANGUAGE) -> list[Entry]:
    """Return label/value entries for the schema's properties present in data, in form order
    (the fixed words, Ja/Nej, in `lang`)."""
    properties = schema.get("properties", {})
    order = [n for n in uischema.get("ui:order", []) if n in properties]
    order += [n for n in properties if n not in order]
    entries = []
    for name in order:
        if name not in data or data[name] in (None, "", []):
            continue
        entries.append(_entry(name, properties[name], data[name], lang))
    return entries


def _entry(name: str, prop: dict, value, lang: str) -> Entry:
    label = prop.get("title", name)
    if is_attachments(prop):
        return Entry(label, files=[(f["id"], f.get("namn") or str(f["id"]))
                                   for f in value if isinstance(f, dict) and "id" in f])
    if prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
        item_props = prop["items"].get("properties", {})
        columns = [p.get("title", n) for n, p in item_props.items()]
        rows = [[format_value(item_props[n], row.get(n), n, lang) for n in item_props]
                for row in value]
        return Entry(label, rows=rows, columns=columns)
    if prop.get("type") == "object":
        parts = [f"{p.get('title', n)}: {format_value(p, value.get(n), n, lang)}"
                 for n, p in prop.get("properties", {}).items() if value.get(n) not in (None, "")]
        return Entry(label, "; ".join(parts))
    return Entry(label, format_value(prop, value, name, lang))


def format_value(prop: dict, value, name: str = "", lang: str = SOURCE_LANGUAGE) -> str:
    """Format one value by its schema: choice titles, Ja/Nej, kronor, dates."""
    if value in (None, ""):
        return "–"
    if prop.get("type") == "array":
        return ", ".join(format_value(prop.get("items", {}), v, lang=lang) for v in value)
    titles = {c.get("const"): c.get("title") for c in prop.get("oneOf", []) if "const" in c}
    if value in titles:
        return titles[value]
    if isinstance(value, bool):
        return translate(_("Ja") if value else _("Nej"), lang)
    if prop.get("format") == "date":
        return short_date(value)
    title = prop.get("title", "").lower()
    if prop.get("type") in ("integer", "number") and any(
        h in title or h in name for h in AMOUNT_HINTS
    ):
        return kronor(value)
    return str(value)


def form_layout(definition, form) -> dict:
    """The parts of a long form with their state (a task list) and its conditional
    questions, from the form's uischema groups and schema if/then."""
    if definition is None:
        return {"sections": [], "conditions": []}
    data = definition.to_data(form)
    return {"sections": form_sections(definition.schema, definition.uischema, data),
            "conditions": conditions(definition.schema, definition.uischema)}
