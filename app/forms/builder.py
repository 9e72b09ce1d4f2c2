"""Build a WTForms form class from an object schema and its uischema."""

import re

import wtforms

from app.forms.fields import make_field
from app.forms.languages import SOURCE_LANGUAGE


def build_form_class(name: str, node: dict, ui: dict, base: type = wtforms.Form,
                     lang: str = SOURCE_LANGUAGE) -> type:
    """Return a form class with one field per property, in `ui:order` order; the few texts
    the builder adds itself (a select's first option) are in `lang`."""
    required = set(node.get("required", []))
    properties = node.get("properties", {})

    def nested(sub_node: dict, sub_ui: dict) -> type:
        # Nested forms are plain WTForms forms: only the outer form carries a CSRF token.
        return build_form_class("Del", sub_node, sub_ui, wtforms.Form, lang)

    attrs = {
        prop: make_field(prop, properties[prop], _ui_of(ui, prop), required=prop in required,
                         nested=nested, lang=lang)
        for prop in ordered_properties(node, ui)
    }
    return type(_class_name(name), (base,), attrs)


def ordered_properties(node: dict, ui: dict) -> list[str]:
    """Return property names in `ui:order` order; unlisted ones go at "*" or at the end."""
    names = list(node.get("properties", {}))
    order = ui.get("ui:order") if isinstance(ui.get("ui:order"), list) else []
    star = order.index("*") if "*" in order else len(order)
    before = [n for n in order[:star] if n in names]
    after = [n for n in order[star + 1:] if n in names and n not in before]
    rest = [n for n in names if n not in before and n not in after]
    return before + rest + after


def _ui_of(ui: dict, prop: str) -> dict:
    value = ui.get(prop)
    return value if isinstance(value, dict) else {}


def _class_name(name: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", name)
    return "".join(word.capitalize() for word in words if word) + "Form"
