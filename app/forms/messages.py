"""Swedish messages for jsonschema validation errors, naming the problem."""

from babel.numbers import format_decimal

from app.forms.inputs import DATE_MESSAGE
from app.forms.kinds import UnsupportedNode, base_kind_of, choices_of

REQUIRED = "Fältet är obligatoriskt."
REQUIRED_GROUP = "Fyll i uppgifterna i den här delen."
REQUIRED_ROWS = "Lägg till minst en rad."
EMAIL = "Ange en giltig e-postadress."
CHOICE = "Välj ett av alternativen."
INVALID = "Värdet är inte tillåtet."
TYPES = {
    "integer": "Ange ett heltal.",
    "number": "Ange ett tal.",
    "string": "Ange en text.",
    "boolean": "Ange ja eller nej.",
    "array": "Ange en lista.",
    "object": "Uppgifterna har fel form.",
}


def message_for(keyword: str, value, node: dict, instance) -> str:
    """Return the message for a failed `keyword` (with schema `value`) on a field's `node`.

    A node may override messages with `"errorMessage"` (the ajv-errors convention): a
    string for every keyword, or an object keyed by keyword, e.g. {"pattern": "Ange …"}.
    """
    custom = node.get("errorMessage")
    if isinstance(custom, str):
        return custom
    if isinstance(custom, dict) and isinstance(custom.get(keyword), str):
        return custom[keyword]
    explain = EXPLAINERS.get(keyword)
    return explain(value, node, instance) if explain else INVALID


def number(value) -> str:
    """Format a number the Swedish way: 1 500 000 (no-break spaces), 12,5."""
    return format_decimal(value, locale="sv_SE")


def _kind(node: dict) -> str:
    try:
        return base_kind_of(node)
    except UnsupportedNode:
        return ""


def _length(instance) -> str:
    return f" (nu {len(instance)})" if isinstance(instance, str) else ""


def _required(value, node, instance) -> str:
    return {"object": REQUIRED_GROUP, "rows": REQUIRED_ROWS}.get(_kind(node), REQUIRED)


def _min_items(value, node, instance) -> str:
    if _kind(node) == "rows":
        return "Lägg till minst en rad." if value == 1 else f"Lägg till minst {value} rader."
    return "Välj minst ett alternativ." if value == 1 else f"Välj minst {value} alternativ."


def _max_items(value, node, instance) -> str:
    if _kind(node) == "rows":
        return f"Får ha högst {value} rader."
    return f"Välj högst {value} alternativ."


def _format(value, node, instance) -> str:
    return {"date": DATE_MESSAGE, "email": EMAIL}.get(value, "Har inte rätt format.")


def _const(value, node, instance) -> str:
    return "Rutan måste vara ikryssad." if value is True else INVALID


def _one_of(value, node, instance) -> str:
    return CHOICE if choices_of(node) is not None else INVALID


def _type(value, node, instance) -> str:
    return TYPES.get(value if isinstance(value, str) else "", INVALID)


EXPLAINERS = {
    "required": _required,
    "dependentRequired": _required,
    "minLength": lambda value, node, instance: f"Måste ha minst {value} tecken{_length(instance)}.",
    "maxLength": lambda value, node, instance: f"Får ha högst {value} tecken{_length(instance)}.",
    "minimum": lambda value, node, instance: f"Får vara lägst {number(value)}.",
    "maximum": lambda value, node, instance: f"Får vara högst {number(value)}.",
    "exclusiveMinimum": lambda value, node, instance: f"Måste vara större än {number(value)}.",
    "exclusiveMaximum": lambda value, node, instance: f"Måste vara mindre än {number(value)}.",
    "multipleOf": lambda value, node, instance: f"Måste vara en multipel av {number(value)}.",
    "pattern": lambda value, node, instance: "Har inte rätt format.",
    "format": _format,
    "type": _type,
    "enum": lambda value, node, instance: CHOICE,
    "const": _const,
    "oneOf": _one_of,
    "anyOf": _one_of,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": lambda value, node, instance: "Samma val får bara förekomma en gång.",
    "additionalProperties": lambda value, node, instance: "Uppgifterna innehåller okända fält.",
    "unevaluatedProperties": lambda value, node, instance: "Uppgifterna innehåller okända fält.",
}
