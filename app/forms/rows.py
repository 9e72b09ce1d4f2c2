"""Add and remove rows of repeating groups (arrays of objects) without JavaScript.

Every row button is a submit button named `<form prefix>_rows` whose value says what to do:
`add:<list field name>` (e.g. `add:budget`), `remove:<row name>` (e.g. `remove:budget-1`), or
`none` — the hidden first button that catches implicit submission with the Enter key, so
that Enter never presses a row's "Ta bort" button.
"""

from wtforms.fields import FieldList, FormField

ROW_BUTTON = "_rows"


def row_button_name(form) -> str:
    """Return the name every row button of this form has."""
    return f"{form._prefix}{ROW_BUTTON}"


def read_row_action(formdata, prefix: str) -> str | None:
    """Return the row action submitted with the form data, if a row button was pressed."""
    if formdata is None or not hasattr(formdata, "get"):
        return None
    value = formdata.get(f"{prefix}{ROW_BUTTON}")
    return value if isinstance(value, str) else None


def apply_row_action(form, action: str | None) -> bool:
    """Add or remove the row the action names; return True if a row button was pressed.

    Rows are never added beyond `maxItems` nor removed below `minItems`; an unknown target
    changes nothing. Either way the caller re-renders the form without validating it.
    `form._row_focus` names the new row (or, after a removal, the list) for the template to
    focus, so keyboard and screen reader users land where they were working.
    """
    if not action:
        return False
    verb, _, target = action.partition(":")
    for rows in list(row_fields(form)):
        if verb == "add" and rows.name == target:
            if can_add_row(rows):
                form._row_focus = rows.append_entry().id
            break
        names = [entry.name for entry in rows.entries]
        if verb == "remove" and target in names:
            if can_remove_row(rows):
                rows.pop_entry(names.index(target))
                form._row_focus = rows.id
            break
    return True


def can_add_row(rows: FieldList) -> bool:
    """Tell whether another row fits (`maxItems`)."""
    return not rows.max_entries or len(rows.entries) < rows.max_entries


def can_remove_row(rows: FieldList) -> bool:
    """Tell whether a row may go (`minItems`, or one row for a required list)."""
    return len(rows.entries) > rows.min_entries


def row_fields(form):
    """Yield every list-of-rows field in a form, including those nested in objects and rows."""
    for field in form:
        if isinstance(field, FormField):
            yield from row_fields(field.form)
        elif isinstance(field, FieldList):
            yield field
            for entry in field.entries:
                if isinstance(entry, FormField):
                    yield from row_fields(entry.form)

