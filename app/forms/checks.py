"""Check that a form definition is usable: valid schema, supported types, matching uischema."""

import wtforms
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app.forms.data import DAYS_FROM_TODAY, PREFILL_FROM, is_relative_date
from app.forms.kinds import (
    ATTACHMENT_KEYS,
    ATTACHMENTS,
    CHOICE_TYPES,
    OPTIONS_SOURCE,
    WIDGETS,
    UnsupportedNode,
    as_drawn,
    base_kind_of,
    choice_target,
    choices_of,
)
from app.forms.languages import is_translation_key, missing_translations
from app.forms.validation import make_validator

DRAFT = "https://json-schema.org/draft/2020-12/schema"
UI_KEYS = {"ui:order", "ui:widget", "ui:help", "ui:placeholder", "ui:autocomplete",
           "ui:inputType", "ui:rows", OPTIONS_SOURCE, "ui:groups", "ui:alwaysShown"}
# Custom keywords (jsonschema ignores them): a weight for scoring, read by other code;
# `x-bilagor` (kinds.ATTACHMENTS) marks a list of attached files, `x-default-days-from-today`
# (data.DAYS_FROM_TODAY) a date relative to today, `x-prefill-from` (data.PREFILL_FROM) the
# process variable a top-level field starts from.
WEIGHT = "x-vikt"
# Names a property may not have: WTForms (and Flask-WTF) use them on the form itself.
RESERVED = set(dir(wtforms.Form)) | {
    "formdata", "obj", "prefix", "data", "meta", "extra_filters", "form_errors",
    "csrf_token", "hidden_tag", "is_submitted", "validate_on_submit",
}
SUBSCHEMA_KEYS = ("if", "then", "else", "not")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def check_definition(defn, languages: tuple[str, ...] = ()) -> list[str]:
    """Return the problems of a form definition (schema and uischema); [] when it is fine.

    With `languages` (e.g. ("en",)), every text must also carry its translation in each of
    them (`"x-en"` next to it, see app/forms/languages.py).
    """
    schema = defn.schema
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        where = "/".join(str(key) for key in err.absolute_path) or "roten"
        return [f"ogiltigt JSON Schema vid {where}: {err.message}"]
    problems = []
    if schema.get("$schema", DRAFT) != DRAFT:
        problems.append(f"\"$schema\" ska vara {DRAFT}")
    if not schema.get("title"):
        problems.append("schemat saknar \"title\" (formulärets rubrik)")
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return [*problems, "schemat ska ha \"type\": \"object\" och \"properties\""]
    ui = defn.uischema if isinstance(defn.uischema, dict) else {}
    if not isinstance(defn.uischema, dict):
        problems.append("uischema: ska vara ett JSON-objekt")
    problems += _check_object(schema, ui, "")
    for lang in languages:
        problems += missing_translations(schema, ui, lang)
    return problems


def _check_object(node: dict, ui: dict, where: str) -> list[str]:
    properties = node.get("properties", {})
    problems = _check_required(node, properties, where)
    problems += _check_ui_keys(ui, properties, where)
    for name, prop in properties.items():
        problems += _check_property(name, prop, _ui_of(ui, name, where, problems), where + name)
    return problems


def _check_property(name: str, prop, ui: dict, where: str) -> list[str]:
    problem = _name_problem(name)
    if problem:
        return [f"egenskapen '{where}': {problem}"]
    source_problems = _check_options_source(prop, ui, where)
    if source_problems:
        return source_problems
    try:
        kind = base_kind_of(as_drawn(prop, ui))
    except UnsupportedNode as err:
        return [f"egenskapen '{where}': {err}"]
    problems = _check_default(prop, where) + _check_custom_keywords(prop, where)
    widget = ui.get("ui:widget")
    if widget is not None and widget not in WIDGETS.get(kind, ()):
        problems.append(f"uischema: '{where}': ui:widget {widget!r} passar inte fältets typ")
    if kind == "object":
        problems += _check_object(prop, ui, where + ".")
    elif kind == "rows":
        problems += _check_ui_keys(ui, {"items": None}, where + ".")
        items_ui = _ui_of(ui, "items", where + ".", problems)
        problems += _check_object(prop["items"], items_ui, where + ".items.")
    else:
        problems += _check_ui_keys(ui, {}, where + ".")
        if OPTIONS_SOURCE not in ui:  # run-time choices are bounded by their list
            problems += _check_bounds(prop, where)
    return problems


def _check_bounds(prop: dict, where: str) -> list[str]:
    """A free text needs a maxLength and a number a maximum (also in a list of them): an
    unbounded value makes pages slow and amounts overflow (a choice or a date is bounded)."""
    node = prop.get("items") if prop.get("type") == "array" else prop
    if not isinstance(node, dict) or choices_of(node) is not None or "const" in node:
        return []
    if node.get("type") == "string" and node.get("format") != "date" and (
            "maxLength" not in node):
        return [f"egenskapen '{where}': en text behöver \"maxLength\" (högst antal tecken)"]
    if node.get("type") in ("integer", "number") and not (
            "maximum" in node or "exclusiveMaximum" in node):
        return [f"egenskapen '{where}': ett tal behöver \"maximum\" (största värde)"]
    return []


def _name_problem(name: str) -> str | None:
    if not name.isidentifier() or name.startswith("_"):
        return "namnet får bara ha bokstäver, siffror och _ och får inte börja med _ eller siffra"
    if name in RESERVED or name.startswith(("validate_", "filter_")):
        return "namnet är reserverat av formulärbiblioteket (WTForms)"
    return None


def _check_required(node: dict, properties: dict, where: str) -> list[str]:
    problems = []
    for part in _object_parts(node):
        for name in part.get("required", []):
            if name not in properties:
                problems.append(f"'{where}{name}' i \"required\" finns inte bland egenskaperna")
        for name in part.get("properties", {}) if part is not node else ():
            if name not in properties:
                problems.append(
                    f"villkoret nämner '{where}{name}' som inte finns bland egenskaperna")
    return problems


def _object_parts(node: dict):
    """Yield the node and its conditional subschemas (if/then/else, allOf, …), recursively."""
    yield node
    subschemas = [node.get(key) for key in SUBSCHEMA_KEYS]
    subschemas += [sub for key in SUBSCHEMA_LISTS for sub in node.get(key, [])]
    for sub in subschemas:
        if isinstance(sub, dict):
            yield from _object_parts(sub)


def _check_options_source(prop, ui: dict, where: str) -> list[str]:
    """A run-time choice list must be named by a text and fill a choice or a list of choices."""
    if OPTIONS_SOURCE not in ui:
        return []
    source = ui[OPTIONS_SOURCE]
    if not isinstance(source, str) or not source:
        return [f"uischema: '{where}.{OPTIONS_SOURCE}' ska vara ett namn (en text)"]
    if not isinstance(prop, dict) or choice_target(prop).get("type") not in CHOICE_TYPES:
        return [f"uischema: '{where}': {OPTIONS_SOURCE} passar bara till ett val eller en "
                "lista av val (text eller heltal)"]
    return []


def _check_custom_keywords(prop: dict, where: str) -> list[str]:
    problems = []
    if DAYS_FROM_TODAY in prop and not is_relative_date(prop):
        problems.append(f"egenskapen '{where}': {DAYS_FROM_TODAY} ska vara ett heltal och "
                        "passar bara till ett datum (\"format\": \"date\")")
    problems += _check_attachments(prop, where)
    if PREFILL_FROM in prop and (not isinstance(prop[PREFILL_FROM], str) or "." in where):
        problems.append(f"egenskapen '{where}': {PREFILL_FROM} ska vara namnet på en "
                        "processvariabel och passar bara på formulärets översta nivå")
    weight = prop.get(WEIGHT)
    if WEIGHT in prop and (isinstance(weight, bool) or not isinstance(weight, (int, float))
                           or weight < 0):
        problems.append(f"egenskapen '{where}': {WEIGHT} ska vara ett tal, 0 eller större")
    return problems


def _check_attachments(prop: dict, where: str) -> list[str]:
    """`x-bilagor` is `true` on a top-level list of {id, namn, storlek, typ} objects."""
    if ATTACHMENTS not in prop:
        return []
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    keys = items.get("properties") if isinstance(items.get("properties"), dict) else {}
    if (prop[ATTACHMENTS] is not True or prop.get("type") != "array"
            or items.get("type") != "object" or not set(ATTACHMENT_KEYS) <= set(keys)):
        return [f"egenskapen '{where}': {ATTACHMENTS} ska vara true och passar bara till en "
                f"lista av objekt med {', '.join(ATTACHMENT_KEYS)}"]
    if "." in where:
        return [f"egenskapen '{where}': {ATTACHMENTS} går bara att använda på formulärets "
                "översta nivå"]
    return []


def _check_default(prop: dict, where: str) -> list[str]:
    if "default" not in prop:
        return []
    errors = list(make_validator(prop).iter_errors(prop["default"]))
    if not errors:
        return []
    return [f"egenskapen '{where}': standardvärdet är ogiltigt: {errors[0].message}"]


def _check_ui_keys(ui: dict, allowed: dict, where: str) -> list[str]:
    problems = []
    for key in ui:
        if key.startswith("ui:"):
            if key not in UI_KEYS:
                problems.append(f"uischema: '{where}{key}' stöds inte")
        elif key not in allowed and not is_translation_key(key):
            problems.append(f"uischema: '{where}{key}' finns inte i schemat")
    for name in ui.get("ui:order", []) if isinstance(ui.get("ui:order"), list) else []:
        if name != "*" and name not in allowed:
            problems.append(f"uischema: ui:order vid '{where or 'roten'}' nämner '{name}' "
                            "som inte finns i schemat")
    return problems


def _ui_of(ui: dict, name: str, where: str, problems: list[str]) -> dict:
    value = ui.get(name, {})
    if isinstance(value, dict):
        return value
    problems.append(f"uischema: '{where}{name}' ska vara ett JSON-objekt")
    return {}
