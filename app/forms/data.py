"""Convert between JSON data and WTForms field data, guided by the schema."""

from datetime import date, timedelta
from decimal import Decimal

from wtforms.fields import FieldList, FormField

from app.forms.inputs import parse_iso_date

# Custom keyword: a date field's default is this many days after the day the form is made.
DAYS_FROM_TODAY = "x-default-days-from-today"
# Custom keyword: a top-level field with no value of its own in the case starts from this
# process variable (e.g. the decision's amount from the officer's proposed amount).
PREFILL_FROM = "x-prefill-from"


def form_to_data(node: dict, form) -> dict:
    """Return the JSON data of a form (or subform) for an object schema node.

    Empty values ("", None, [], and objects with only empty values) are left out so that
    `required` reports them; a required object is kept even when empty so that its own
    required fields are reported. An optional object left empty is left out as a whole, so
    its required fields are only asked for when a condition requires the object.
    """
    required = set(node.get("required", []))
    data = {}
    for name, prop in node.get("properties", {}).items():
        if name not in form:
            continue
        value = field_to_data(prop, form[name])
        if _is_empty(value) and not (isinstance(value, dict) and name in required):
            continue
        data[name] = value
    return data


def field_to_data(node: dict, field):
    """Return the JSON value of one bound field."""
    if isinstance(field, FormField):
        return form_to_data(node, field.form)
    if isinstance(field, FieldList):
        items = node.get("items", {})
        # Every row is kept, even an empty one, so error paths match row positions.
        return [form_to_data(items, entry.form) for entry in field.entries]
    return json_value(field.data)


def json_value(value):
    """Return a JSON-native version of a field's Python value."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    return value


def data_to_fields(node: dict, data) -> dict:
    """Return keyword data for a form class from saved JSON data (unknown keys dropped)."""
    if not isinstance(data, dict):
        return {}
    properties = node.get("properties", {})
    return {name: value_to_field(properties[name], value)
            for name, value in data.items() if name in properties}


def prefill_values(node: dict, case_data: dict) -> dict:
    """Return the JSON data a new form starts from: the case's value of each top-level field,
    or of the variable its `x-prefill-from` names."""
    values = {}
    for name, prop in node.get("properties", {}).items():
        source = prop.get(PREFILL_FROM) if isinstance(prop, dict) else None
        for key in (name, source):
            if key in case_data:
                values[name] = case_data[key]
                break
    return values


def value_to_field(node: dict, value):
    """Return the Python value a field expects for a JSON value (dates, decimals, rows)."""
    node_type = node.get("type")
    if node_type == "object":
        return data_to_fields(node, value)
    if node_type == "array":
        if not isinstance(value, list):
            return []
        if node.get("items", {}).get("type") == "object":
            return [data_to_fields(node["items"], item) for item in value]
        return value
    if node_type == "string" and node.get("format") == "date":
        return _to_date(value)
    if node_type == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _to_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return parse_iso_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def relative_date_defaults(node: dict, today: date, days: dict | None = None) -> dict:
    """Return field values for the dates whose default is relative to `today`.

    A `"format": "date"` property with `"x-default-days-from-today": N` gets today + N days
    (or the days `days` gives for its name: a round's own deadline); nested objects are
    searched too (rows are not: a new row has no defaults).
    """
    values: dict = {}
    for name, prop in node.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        if prop.get("type") == "object":
            inner = relative_date_defaults(prop, today, days)
            if inner:
                values[name] = inner
        elif is_relative_date(prop):
            values[name] = today + timedelta(days=(days or {}).get(name, prop[DAYS_FROM_TODAY]))
    return values


def is_relative_date(node: dict) -> bool:
    """Tell whether a node is a date with a usable `x-default-days-from-today`."""
    days = node.get(DAYS_FROM_TODAY)
    return (node.get("type") == "string" and node.get("format") == "date"
            and isinstance(days, int) and not isinstance(days, bool))


def _is_empty(value) -> bool:
    if isinstance(value, dict):
        return all(_is_empty(item) for item in value.values())
    return value is None or (isinstance(value, (str, list)) and not value)
