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
        return _array_kind(node.get("items"))
    raise UnsupportedNode(f"typen {node_type!r} stöds inte")


def _array_kind(items) -> str:
    if not isinstance(items, dict):
        raise UnsupportedNode("en lista måste ha ett schema i \"items\"")
    if items.get("type") == "object":
        return "rows"
    if items.get("type") in CHOICE_TYPES and choices_of(items) is not None:
        return "multiselect"
    raise UnsupportedNode("en lista måste bestå av objekt (rader) eller fasta val (enum/oneOf)")
