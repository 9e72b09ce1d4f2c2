"""Messages for jsonschema validation errors, naming the problem: Swedish, or in the form's
language from the app's catalogue (app/translations, see languages.translate)."""

from babel.numbers import format_decimal

from app.forms.inputs import DATE_MESSAGE
from app.forms.kinds import UnsupportedNode, base_kind_of, choices_of
from app.forms.languages import SOURCE_LANGUAGE, translate
from app.forms.languages import untranslated as _

REQUIRED = _("Fältet är obligatoriskt.")
REQUIRED_GROUP = _("Fyll i uppgifterna i den här delen.")
REQUIRED_ROWS = _("Lägg till minst en rad.")
EMAIL = _("Ange en giltig e-postadress.")
CHOICE = _("Välj ett av alternativen.")
INVALID = _("Värdet är inte tillåtet.")
BAD_FORMAT = _("Har inte rätt format.")
UNKNOWN_FIELDS = _("Uppgifterna innehåller okända fält.")
TYPES = {
    "integer": _("Ange ett heltal."),
    "number": _("Ange ett tal."),
    "string": _("Ange en text."),
    "boolean": _("Ange ja eller nej."),
    "array": _("Ange en lista."),
    "object": _("Uppgifterna har fel form."),
}


def message_for(keyword: str, value, node: dict, instance, lang: str = SOURCE_LANGUAGE) -> str:
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
    if explain is None:
        return translate(INVALID, lang)
    text, params = explain(value, node, instance)
    if "num" in params and not isinstance(params["num"], str):
        # Swedish digits in every language: the inputs read "1 500 000" and "12,5".
        params = {**params, "num": number(params["num"])}
    if "now" in params:
        params = {**params, "now": translate(_(" (nu %(num)s)"), lang, num=params["now"])
                  if params["now"] is not None else ""}
    return translate(text, lang, **params)


def number(value) -> str:
    """Format a number the Swedish way: 1 500 000 (no-break spaces), 12,5."""
    return format_decimal(value, locale="sv_SE")


def _kind(node: dict) -> str:
    try:
        return base_kind_of(node)
    except UnsupportedNode:
        return ""


def _length(instance) -> int | None:
    return len(instance) if isinstance(instance, str) else None


def _required(value, node, instance):
    return {"object": REQUIRED_GROUP, "rows": REQUIRED_ROWS}.get(_kind(node), REQUIRED), {}


def _min_items(value, node, instance):
    if _kind(node) == "rows":
        return (REQUIRED_ROWS, {}) if value == 1 else (_("Lägg till minst %(num)s rader."),
                                                       {"num": str(value)})
    return ((_("Välj minst ett alternativ."), {}) if value == 1
            else (_("Välj minst %(num)s alternativ."), {"num": str(value)}))


def _max_items(value, node, instance):
    if _kind(node) == "rows":
        return _("Får ha högst %(num)s rader."), {"num": str(value)}
    return _("Välj högst %(num)s alternativ."), {"num": str(value)}


def _format(value, node, instance):
    return {"date": DATE_MESSAGE, "email": EMAIL}.get(value, BAD_FORMAT), {}


def _const(value, node, instance):
    return (_("Rutan måste vara ikryssad.") if value is True else INVALID), {}


def _one_of(value, node, instance):
    return (CHOICE if choices_of(node) is not None else INVALID), {}


def _type(value, node, instance):
    return TYPES.get(value if isinstance(value, str) else "", INVALID), {}


def _fixed(text: str):
    return lambda value, node, instance: (text, {})


def _bound(text: str, with_length: bool = False):
    """A message naming the schema's number (and, for texts, the length typed now)."""
    def explain(value, node, instance):
        params = {"num": str(value) if with_length else value}  # lengths: 5000, not 5 000
        if with_length:
            params["now"] = _length(instance)
        return text, params
    return explain


# keyword -> (value, node, instance) -> (message with %(num)s/%(now)s, parameters)
EXPLAINERS = {
    "required": _required,
    "dependentRequired": _required,
    "minLength": _bound(_("Måste ha minst %(num)s tecken%(now)s."), with_length=True),
    "maxLength": _bound(_("Får ha högst %(num)s tecken%(now)s."), with_length=True),
    "minimum": _bound(_("Får vara lägst %(num)s.")),
    "maximum": _bound(_("Får vara högst %(num)s.")),
    "exclusiveMinimum": _bound(_("Måste vara större än %(num)s.")),
    "exclusiveMaximum": _bound(_("Måste vara mindre än %(num)s.")),
    "multipleOf": _bound(_("Måste vara en multipel av %(num)s.")),
    "pattern": _fixed(BAD_FORMAT),
    "format": _format,
    "type": _type,
    "enum": _fixed(CHOICE),
    "const": _const,
    "oneOf": _one_of,
    "anyOf": _one_of,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _fixed(_("Samma val får bara förekomma en gång.")),
    "additionalProperties": _fixed(UNKNOWN_FIELDS),
    "unevaluatedProperties": _fixed(UNKNOWN_FIELDS),
}
