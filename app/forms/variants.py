"""Variants of a form: run-time choices filled in, or only some of its fields.

Both work on copies: the schema and uischema of the original definition are never changed.
"""

import copy
from collections.abc import Iterator, Mapping

from app.forms.kinds import CHOICE_TYPES, choice_target, options_source_of, with_options

# Schema keywords that tie properties together; `subset` keeps them only when every
# property they mention is kept.
CONDITION_KEYWORDS = ("if", "then", "else", "allOf", "anyOf", "oneOf", "not",
                      "dependentRequired", "dependentSchemas")
SUBSCHEMA_KEYS = ("if", "then", "else", "not")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")

Choices = Mapping[str, list[tuple[str, str]]]


# Run-time choices (ui:optionsSource) ---------------------------------------------------------


def source_nodes(node: dict, ui: dict) -> Iterator[tuple[dict, str]]:
    """Yield (property node, source name) for every property whose uischema names a
    `ui:optionsSource`, in nested objects and rows too."""
    for name, prop in node.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        prop_ui = _ui_of(ui, name)
        source = options_source_of(prop_ui)
        if source is not None:
            yield prop, source
        if prop.get("type") == "object":
            yield from source_nodes(prop, prop_ui)
        elif prop.get("type") == "array" and _is_object(prop.get("items")):
            yield from source_nodes(prop["items"], _ui_of(prop_ui, "items"))


def schema_with_choices(schema: dict, uischema: dict, choices: Choices) -> dict:
    """Return a copy of `schema` with a `oneOf` of the given choices for every property whose
    uischema names a source in `choices` (for a list: in its `items`)."""
    result = copy.deepcopy(schema)
    for prop, source in list(source_nodes(result, uischema)):
        if source in choices and choice_target(prop).get("type") in CHOICE_TYPES:
            replaced = with_options(prop, list(choices[source]))
            target = choice_target(prop)
            target.clear()
            target.update(choice_target(replaced))
    return result


# Subsets of fields --------------------------------------------------------------------------


def subset_schema(schema: dict, names: list[str]) -> dict:
    """Return a copy of `schema` with only the top-level properties in `names` (in schema
    order); conditions are kept only when every property they mention is kept.

    Raise ValueError("inga fält") when none of the names is a property.
    """
    properties = schema.get("properties", {})
    wanted = set(names)
    kept = [name for name in properties if name in wanted]
    if not kept:
        raise ValueError("inga fält")
    keep = set(kept)
    result = {key: copy.deepcopy(value) for key, value in schema.items()
              if key not in (*CONDITION_KEYWORDS, "properties", "required")}
    result["properties"] = {name: copy.deepcopy(properties[name]) for name in kept}
    if isinstance(schema.get("required"), list):
        result["required"] = [name for name in schema["required"] if name in keep]
    conditional = {key: schema[key] for key in ("if", "then", "else") if key in schema}
    if conditional and mentions(conditional) <= keep:
        result.update(copy.deepcopy(conditional))
    if isinstance(schema.get("allOf"), list):
        parts = [part for part in schema["allOf"] if mentions(part) <= keep]
        if parts:
            result["allOf"] = copy.deepcopy(parts)
    for key in ("anyOf", "oneOf", "not"):
        if key in schema and mentions({key: schema[key]}) <= keep:
            result[key] = copy.deepcopy(schema[key])
    if isinstance(schema.get("dependentRequired"), dict):
        deps = {key: list(value) for key, value in schema["dependentRequired"].items()
                if key in keep and set(value) <= keep}
        if deps:
            result["dependentRequired"] = deps
    if isinstance(schema.get("dependentSchemas"), dict):
        deps = {key: copy.deepcopy(value) for key, value in schema["dependentSchemas"].items()
                if key in keep and mentions(value) <= keep}
        if deps:
            result["dependentSchemas"] = deps
    return result


def subset_uischema(uischema: dict, kept: list[str], all_names: list[str]) -> dict:
    """Return a copy of `uischema` for the kept properties: `ui:order` filtered, the hints of
    left-out properties dropped, and the form's sections (`ui:groups`) left out: a part of a
    form is one short page, not a task list."""
    left_out = set(all_names) - set(kept)
    result = {key: copy.deepcopy(value) for key, value in uischema.items()
              if key not in left_out and key != "ui:groups"}
    order = uischema.get("ui:order")
    if isinstance(order, list):
        result["ui:order"] = [name for name in order if name not in left_out]
    return result


def mentions(node) -> set[str]:
    """Return the property names a (sub)schema names at its own level: in `properties`,
    `required` and `dependent*`, looking through if/then/else, not, allOf, anyOf, oneOf."""
    if not isinstance(node, dict):
        return set()
    names: set[str] = set()
    if isinstance(node.get("properties"), dict):
        names |= set(node["properties"])
    if isinstance(node.get("required"), list):
        names |= {name for name in node["required"] if isinstance(name, str)}
    if isinstance(node.get("dependentRequired"), dict):
        for key, value in node["dependentRequired"].items():
            names |= {key, *value}
    if isinstance(node.get("dependentSchemas"), dict):
        for key, value in node["dependentSchemas"].items():
            names |= {key} | mentions(value)
    for key in SUBSCHEMA_KEYS:
        names |= mentions(node.get(key))
    for key in SUBSCHEMA_LISTS:
        for part in node.get(key, []) if isinstance(node.get(key), list) else []:
            names |= mentions(part)
    return names


def _is_object(node) -> bool:
    return isinstance(node, dict) and node.get("type") == "object"


def _ui_of(ui, name: str) -> dict:
    value = ui.get(name) if isinstance(ui, dict) else None
    return value if isinstance(value, dict) else {}
