"""Map one schema node and its uischema hints to an unbound WTForms field."""

from collections.abc import Callable

from wtforms import fields
from wtforms.fields import SelectChoice

from app.forms.data import value_to_field
from app.forms.inputs import (
    AttachmentsField,
    CheckboxGroupField,
    DecimalCommaField,
    IsoDateField,
    TickBoxField,
    WholeNumberField,
)
from app.forms.kinds import as_drawn, choices_of, kind_of
from app.forms.languages import SOURCE_LANGUAGE, translate
from app.forms.languages import untranslated as _

PLACEHOLDER_CHOICE = _("Välj …")
INPUT_MODES = {"integer": "numeric", "number": "decimal"}

# Builds the form class of a nested object: (object node, its uischema) -> form class.
NestedBuilder = Callable[[dict, dict], type]


class Mandatory:
    """Mark a field as required by the schema; jsonschema does the checking itself.

    The flag (`field.flags.mandatory`) lets templates mark the field without adding the
    browser's own `required` check, which would block "Lägg till rad" and draft saving.
    """

    field_flags = {"mandatory": True}

    def __call__(self, form, field):
        return None


MANDATORY = Mandatory()


def make_field(name: str, node: dict, ui: dict, *, required: bool, nested: NestedBuilder,
               lang: str = SOURCE_LANGUAGE):
    """Return the unbound field for property `name` with schema `node` and uischema `ui`."""
    node = as_drawn(node, ui)
    kind = kind_of(node, ui)
    options = {
        "label": str(node.get("title") or name),
        "description": str(ui.get("ui:help") or node.get("description") or ""),
        "validators": [MANDATORY] if required and kind != "object" else [],
    }
    render_kw = _render_kw(kind, ui)
    if render_kw:
        options["render_kw"] = render_kw
    if "default" in node:
        options["default"] = value_to_field(node, node["default"])
    if kind == "select":
        return _select(node, ui, options, nested, translate(PLACEHOLDER_CHOICE, lang))
    return BUILDERS[kind](node, ui, options, nested)


def _render_kw(kind: str, ui: dict) -> dict:
    render_kw = {
        "placeholder": ui.get("ui:placeholder"),
        "autocomplete": ui.get("ui:autocomplete"),
        "type": ui.get("ui:inputType"),
        "rows": ui.get("ui:rows"),
        "inputmode": INPUT_MODES.get(kind),
    }
    return {key: str(value) for key, value in render_kw.items() if value}


def _choices(node: dict) -> list[SelectChoice]:
    return [SelectChoice(value=value, label=label) for value, label in choices_of(node) or []]


def coerce_choice(value):
    """Turn a submitted option back into an int for integer choices; keep anything else."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _coerce_for(node: dict):
    return coerce_choice if node.get("type") == "integer" else str


def _select(node, ui, options, nested, placeholder=PLACEHOLDER_CHOICE):
    choices = [SelectChoice(value="", label=placeholder), *_choices(node)]
    return fields.SelectField(choices=choices, coerce=_coerce_for(node), validate_choice=False,
                              **options)


def _radio(node, ui, options, nested):
    return fields.RadioField(choices=_choices(node), coerce=_coerce_for(node),
                             validate_choice=False, **options)


def _multiselect(node, ui, options, nested):
    items = node["items"]
    return fields.SelectMultipleField(choices=_choices(items), coerce=_coerce_for(items),
                                      validate_choice=False, **options)


def _checkboxes(node, ui, options, nested):
    items = node["items"]
    return CheckboxGroupField(choices=_choices(items), coerce=_coerce_for(items),
                              validate_choice=False, **options)


def _object(node, ui, options, nested):
    return fields.FormField(nested(node, ui), **options)


def _rows(node, ui, options, nested):
    items_ui = ui.get("items") if isinstance(ui.get("items"), dict) else {}
    row = fields.FormField(nested(node["items"], items_ui), label="Rad")
    # A required list starts with its minimum number of rows (at least one) to fill in.
    minimum = max(node.get("minItems", 0), 1) if options["validators"] else 0
    return fields.FieldList(row, min_entries=minimum, max_entries=node.get("maxItems"),
                            **options)


def _simple(field_class):
    def build(node, ui, options, nested):
        return field_class(**options)

    return build


BUILDERS = {
    "text": _simple(fields.StringField),
    "textarea": _simple(fields.TextAreaField),
    "email": _simple(fields.EmailField),
    "date": _simple(IsoDateField),
    "integer": _simple(WholeNumberField),
    "number": _simple(DecimalCommaField),
    "boolean": _simple(TickBoxField),
    "select": _select,
    "radio": _radio,
    "multiselect": _multiselect,
    "checkboxes": _checkboxes,
    "object": _object,
    "rows": _rows,
    "attachments": _simple(AttachmentsField),
}
