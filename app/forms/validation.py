"""Validate JSON data against a form's schema; report problems per field, in Swedish or in the
form's language."""

import re
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from wtforms.fields import FieldList, FormField

from app.forms.languages import SOURCE_LANGUAGE, translate
from app.forms.languages import untranslated as _
from app.forms.messages import message_for
from app.payouts import identifiers

Path = tuple[str | int, ...]
Problem = tuple[Path, str]

FORMAT_CHECKER = FormatChecker()
# Characters no text field may hold: NUL and the other control characters (tab and line breaks
# are fine), and the invisible format and direction marks that can make a text read otherwise
# than it is stored (U+202E turns "fdp.exe" into "exe.pdf").
HIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
HIDDEN_MESSAGE = _("Texten innehåller osynliga styr- eller riktningstecken. Ta bort dem "
                   "(skriv eller klistra in texten på nytt) och försök igen.")


@FORMAT_CHECKER.checks("email", raises=EmailNotValidError)
def is_email(instance) -> bool:
    """Check an e-mail address by its syntax (no DNS look-up)."""
    if isinstance(instance, str):
        validate_email(instance, check_deliverability=False)
    return True


# Swedish identifiers a form may ask for ("format": "organisationsnummer"), checked with their
# check digit the same way as the administrator's organisation and payee fields.
for _name, _check in (("organisationsnummer", identifiers.org_number),
                      ("bankgiro", identifiers.bankgiro), ("plusgiro", identifiers.plusgiro)):
    FORMAT_CHECKER.checks(_name, raises=ValueError)(
        lambda instance, check=_check: not isinstance(instance, str) or bool(check(instance)))


def make_validator(schema: dict) -> Draft202012Validator:
    """Return a draft 2020-12 validator that also checks formats (date, email)."""
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def find_problems(validator: Draft202012Validator, data: dict,
                  lang: str = SOURCE_LANGUAGE) -> list[Problem]:
    """Return (data path, message) for every schema violation, without repeats."""
    problems: list[Problem] = [(path, translate(HIDDEN_MESSAGE, lang))
                               for path in hidden_characters(data)]
    for error in validator.iter_errors(data):
        for problem in explain(error, validator.schema, lang):
            if problem not in problems:
                problems.append(problem)
    return problems


def free_text_problem(text: str, most: int) -> str | None:
    """Why a free text typed outside a form file cannot be stored (None when it can): longer
    than `most` characters, or holding a forbidden control or direction character."""
    if len(text) > most:
        return f"Får ha högst {most} tecken (nu {len(text)})."
    if HIDDEN_CHARACTERS.search(text):
        return HIDDEN_MESSAGE
    return None


# The limits a draft must keep too: what could make a page slow or a column overflow.
BOUNDS = {"maxLength", "maximum", "exclusiveMaximum", "maxItems"}


def find_bound_problems(validator: Draft202012Validator, data: dict,
                        lang: str = SOURCE_LANGUAGE) -> list[Problem]:
    """Return (data path, message) for forbidden characters and for texts, numbers and lists
    over their schema's bounds (the checks even a draft must pass)."""
    problems: list[Problem] = [(path, translate(HIDDEN_MESSAGE, lang))
                               for path in hidden_characters(data)]
    for error in validator.iter_errors(data):
        if error.validator in BOUNDS:
            problems += [p for p in explain(error, validator.schema, lang) if p not in problems]
    return problems


def hidden_characters(value, path: Path = ()) -> list[Path]:
    """Return the paths of the texts in `value` that hold a forbidden character."""
    if isinstance(value, str):
        return [path] if HIDDEN_CHARACTERS.search(value) else []
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in hidden_characters(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value)
                for p in hidden_characters(item, (*path, index))]
    return []


def explain(error: ValidationError, root: dict, lang: str = SOURCE_LANGUAGE) -> list[Problem]:
    """Turn one jsonschema error into problems on the fields it concerns."""
    path = tuple(error.absolute_path)
    instance = error.instance
    if error.validator in ("required", "dependentRequired") and isinstance(instance, dict):
        keyword = error.validator
        return [((*path, name),
                 message_for(keyword, None, node_at(root, (*path, name)), None, lang))
                for name in _missing(keyword, error.validator_value, instance)]
    node = node_at(root, path)
    return [(path, message_for(str(error.validator), error.validator_value, node, instance,
                               lang))]


def _missing(keyword: str, value, instance: dict) -> list[str]:
    if keyword == "required":
        names = value
    else:  # dependentRequired: {"a": ["b", "c"]} — b and c are needed when a is given
        names = [n for key, deps in value.items() if key in instance for n in deps]
    return [n for n in names if isinstance(n, str) and n not in instance]


def node_at(root: dict, path: Path) -> dict:
    """Return the schema node (from the root's properties/items) describing a data path."""
    node = root
    for key in path:
        child = node.get("items") if isinstance(key, int) else node.get("properties", {}).get(key)
        if not isinstance(child, dict):
            return {}
        node = child
    return node


def dotted(path: Path) -> str:
    """Return "kontaktperson.epost" / "budget.0.belopp" for a data path; "" for the form."""
    return ".".join(str(key) for key in path)


def undotted(path: str) -> Path:
    """Return the data path of "budget.0.belopp" (the inverse of `dotted`)."""
    return tuple(int(key) if key.isdigit() else key for key in path.split(".")) if path else ()


def attach_problems(form, problems: Iterable[Problem], *, keep_first: bool = True) -> None:
    """Add each problem to the errors of the field it concerns, or to `form.form_errors`.

    With `keep_first`, a field that already failed WTForms validation (e.g. "abc" in a number
    field) keeps its own message; the schema's consequential "required" is not added on top.
    """
    failed = {id(field) for field in walk_fields(form) if keep_first and _own_errors(field)}
    for path, message in problems:
        field = find_field(form, path)
        if field is None:
            _add(form.form_errors, message)
        elif isinstance(field, FormField):
            _add(field.form.form_errors, message)
        elif id(field) not in failed:
            field.errors = list(field.errors)
            _add(field.errors, message)


def translate_errors(form, lang: str) -> None:
    """Put the fields' own messages (the inputs' Swedish ones) in `lang`."""
    if lang == SOURCE_LANGUAGE:
        return
    for field in walk_fields(form):
        if not isinstance(field, FormField) and field.errors:
            field.errors = [translate(e, lang) if isinstance(e, str) else e
                            for e in field.errors]


def clear_form_errors(form) -> None:
    """Empty the form-level errors of a form and its subforms before validating again."""
    form.form_errors = []
    for field in walk_fields(form):
        if isinstance(field, FormField):
            field.form.form_errors = []


def find_field(form, path: Path):
    """Return the deepest field along a data path, or None when the first key is unknown."""
    container, field = form, None
    for key in path:
        if isinstance(field, FieldList):
            if not isinstance(key, int) or not 0 <= key < len(field.entries):
                break
            field = field.entries[key]
            continue
        if field is not None:
            if not isinstance(field, FormField):
                break
            container = field.form
        if not isinstance(key, str) or key not in container:
            break
        field = container[key]
    return field


def walk_fields(form):
    """Yield every field of a form, depth first, including subform fields and rows."""
    for field in form:
        yield field
        if isinstance(field, FormField):
            yield from walk_fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield entry
                if isinstance(entry, FormField):
                    yield from walk_fields(entry.form)


def _own_errors(field) -> list[str]:
    if isinstance(field, FormField):
        return []
    return [e for e in (field.errors or ()) if isinstance(e, str)]


def _add(errors: list, message: str) -> None:
    if message not in errors:
        errors.append(message)
