"""Classify JSON Schema nodes into the kinds of input a form supports."""

# Widgets a uischema may ask for, by the kind a node has without a widget.
WIDGETS = {
    "text": {"text", "textarea"},
    "select": {"select", "radio"},
    "multiselect": {"select", "checkboxes"},
}
OVERRIDES = {
    ("text", "textarea"): "textarea",
    ("select", "radio"): "radio",
    ("multiselect", "checkboxes"): "checkboxes",
}
CHOICE_TYPES = ("string", "integer")
# uischema key naming a list of choices the application supplies at run time.
OPTIONS_SOURCE = "ui:optionsSource"
CHOICE_KEYWORDS = ("oneOf", "anyOf", "enum")
# Custom keyword: `"x-bilagor": true` on a list of {id, namn, storlek, typ} objects makes it a
# field of attached files (uploaded and stored by the application, see app/attachments).
ATTACHMENTS = "x-bilagor"
ATTACHMENT_KEYS = ("id", "namn", "storlek", "typ")


class UnsupportedNode(ValueError):
    """A schema node that no form input can represent."""


def choices_of(node: dict) -> list[tuple[object, str]] | None:
    """Return (value, label) pairs from `oneOf`/`anyOf` consts or `enum`, else None."""
    options = node.get("oneOf") or node.get("anyOf")
    if options and all(isinstance(o, dict) and "const" in o for o in options):
        return [(o["const"], str(o.get("title", o["const"]))) for o in options]
    if isinstance(node.get("enum"), list):
        return [(value, str(value)) for value in node["enum"]]
    return None


def kind_of(node: dict, ui: dict | None = None) -> str:
    """Return the input kind of a schema node, honouring the uischema's `ui:widget`."""
    kind = base_kind_of(node)
    return OVERRIDES.get((kind, (ui or {}).get("ui:widget")), kind)


def base_kind_of(node: dict) -> str:
    """Return the input kind of a schema node by its type alone."""
    if not isinstance(node, dict):
        raise UnsupportedNode("en egenskap måste vara ett JSON-objekt")
    node_type = node.get("type")
    if node_type in CHOICE_TYPES and choices_of(node) is not None:
        return "select"
    if node_type == "string":
        return {"email": "email", "date": "date"}.get(node.get("format"), "text")
    if node_type in ("integer", "number", "boolean", "object"):
        return node_type
    if node_type == "array":
        return "attachments" if is_attachments(node) else _array_kind(node.get("items"))
    raise UnsupportedNode(f"typen {node_type!r} stöds inte")


def _array_kind(items) -> str:
    if not isinstance(items, dict):
        raise UnsupportedNode("en lista måste ha ett schema i \"items\"")
    if items.get("type") == "object":
        return "rows"
    if items.get("type") in CHOICE_TYPES and choices_of(items) is not None:
        return "multiselect"
    raise UnsupportedNode("en lista måste bestå av objekt (rader) eller fasta val (enum/oneOf)")


def is_attachments(node) -> bool:
    """Tell whether a node is a field of attached files (`"x-bilagor": true`)."""
    return isinstance(node, dict) and node.get("type") == "array" and node.get(ATTACHMENTS) is True


def options_source_of(ui: dict | None) -> str | None:
    """Return the run-time choice list a property's uischema names, if any."""
    source = (ui or {}).get(OPTIONS_SOURCE)
    return source if isinstance(source, str) and source else None


def choice_target(node: dict) -> dict:
    """Return the node that holds the choices: a list's `items`, else the node itself."""
    items = node.get("items")
    return items if node.get("type") == "array" and isinstance(items, dict) else node


def with_options(node: dict, options: list[tuple[object, str]]) -> dict:
    """Return a copy of `node` whose choices (for a list: its items' choices) are `options`.

    Earlier `oneOf`/`anyOf`/`enum` choices are replaced; no options give `"enum": []`
    (an empty `oneOf` is not valid JSON Schema), which accepts no value at all.
    """
    target = {k: v for k, v in choice_target(node).items() if k not in CHOICE_KEYWORDS}
    if options:
        target["oneOf"] = [{"const": value, "title": str(label)} for value, label in options]
    else:
        target["enum"] = []
    if choice_target(node) is node:
        return target
    return {**node, "items": target}


def as_drawn(node: dict, ui: dict | None) -> dict:
    """Return the node as a form draws it: a run-time choice list without choices yet
    (`ui:optionsSource`, see FormDefinition.with_choices) is drawn with no options."""
    if options_source_of(ui) is None or not isinstance(node, dict):
        return node
    target = choice_target(node)
    if target.get("type") not in CHOICE_TYPES or choices_of(target) is not None:
        return node
    return with_options(node, [])
