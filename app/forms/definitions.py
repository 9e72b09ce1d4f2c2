"""Form definitions: a JSON Schema and its uischema, loaded from `forms/`."""

import copy
import json
import re
from datetime import date
from pathlib import Path

import wtforms
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app.formatting import local_today
from app.forms.builder import build_form_class
from app.forms.data import data_to_fields, form_to_data, prefill_values, relative_date_defaults
from app.forms.kinds import is_attachments
from app.forms.languages import SOURCE_LANGUAGE, localized, translate
from app.forms.rows import apply_row_action, read_row_action
from app.forms.validation import (
    attach_problems,
    clear_form_errors,
    dotted,
    find_bound_problems,
    find_problems,
    make_validator,
    translate_errors,
    undotted,
)
from app.forms.variants import (
    Choices,
    schema_with_choices,
    source_nodes,
    subset_schema,
    subset_uischema,
)

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
SCHEMA_SUFFIX = "-schema.json"
UI_SUFFIX = "-uischema.json"


class FormFileError(Exception):
    """A form file is missing, is not JSON, or is not a valid JSON Schema."""

    def __init__(self, file: Path, problem: str):
        super().__init__(f"{file}: {problem}")
        self.file = Path(file)
        self.problem = problem


class FormDefinition:
    """One form: `NAME-schema.json` (JSON Schema 2020-12) plus `NAME-uischema.json`."""

    def __init__(self, name: str, schema: dict, uischema: dict | None = None,
                 lang: str = SOURCE_LANGUAGE):
        self.name = name
        self.schema = schema
        self.uischema = uischema or {}
        self.lang = lang  # the language of the texts (see in_language)
        self.title = str(schema.get("title") or name)
        self._classes: dict[type, type] = {}
        self._validator: Draft202012Validator | None = None
        self._languages: dict[str, FormDefinition] = {}

    def __repr__(self) -> str:
        return f"<FormDefinition {self.name!r}>"

    def form_class(self, base: type = wtforms.Form) -> type:
        """Return the form class built on `base` (e.g. FlaskForm), built once per base."""
        if base not in self._classes:
            self._classes[base] = build_form_class(self.name, self.schema, self.uischema, base,
                                                     self.lang)
        return self._classes[base]

    def make_form(self, formdata=None, data: dict | None = None, base: type = wtforms.Form,
                  today: date | None = None, days: dict | None = None, **kw):
        """Return a form filled from request `formdata` (a MultiDict) or from saved `data`.

        `formdata` is passed on as given (also to FlaskForm, which then does not read the
        request by itself); `data` is JSON as `to_data` returns it; defaults fill the rest.
        In a new form (no `data`, or empty `data`) a date with
        `"x-default-days-from-today": N` is `today` (default: the current date) + N days, or
        the days `days` gives for the field's name; saved data is shown as it was saved.
        """
        values = data_to_fields(self.schema, data)
        if not values:
            values = relative_date_defaults(self.schema, today or local_today(), days)
        form = self.form_class(base)(formdata=formdata, data=values, **kw)
        form._row_action = read_row_action(formdata, form._prefix)
        return form

    def prefill(self, case_data: dict) -> dict | None:
        """Return the data a new form starts from: what the case already holds for its fields
        (or for the variable a field's `x-prefill-from` names); None: a fresh form."""
        return prefill_values(self.schema, case_data) or None

    def in_language(self, lang: str | None) -> "FormDefinition":
        """Return this form with its texts in `lang` (the `"x-<lang>"` texts next to the
        Swedish ones; a text without one stays Swedish); None or its own language: this form.
        Only a Swedish definition can be translated (the others lack the `x-` texts)."""
        if not lang or lang == self.lang:
            return self
        if self.lang != SOURCE_LANGUAGE:
            raise ValueError(f"formuläret är redan på {self.lang}")
        if lang not in self._languages:
            self._languages[lang] = FormDefinition(
                self.name, localized(self.schema, lang), localized(self.uischema, lang), lang)
        return self._languages[lang]

    def to_data(self, form) -> dict:
        """Return the form's data as JSON-native values; empty optional fields are left out."""
        return form_to_data(self.schema, form)

    def validate(self, form) -> bool:
        """Run WTForms and schema validation; put Swedish messages on the fields concerned."""
        clear_form_errors(form)
        fields_ok = form.validate()
        translate_errors(form, self.lang)
        problems = find_problems(self.validator, self.to_data(form), self.lang)
        attach_problems(form, problems)
        return fields_ok and not problems

    def validate_data(self, data: dict) -> dict[str, list[str]]:
        """Return schema problems of JSON data by dotted path ("" for the whole form)."""
        errors: dict[str, list[str]] = {}
        for path, message in find_problems(self.validator, data, self.lang):
            errors.setdefault(dotted(path), []).append(message)
        return errors

    def draft_errors(self, form) -> dict[str, list[str]]:
        """Return what even a draft may not store, by dotted path: texts with a forbidden
        (control or direction) character, texts longer than their maxLength, numbers over
        their maximum, more rows than maxItems (a draft is saved without the other checks)."""
        errors: dict[str, list[str]] = {}
        for path, message in find_bound_problems(self.validator, self.to_data(form), self.lang):
            errors.setdefault(dotted(path), []).append(message)
        return errors

    def attach_errors(self, form, errors: dict[str, list[str]]) -> None:
        """Put errors keyed by dotted path (as in InvalidInput.errors) on the fields concerned."""
        problems = [(undotted(path), translate(message, self.lang))
                    for path, messages in errors.items() for message in messages]
        attach_problems(form, problems, keep_first=False)

    def handle_row_actions(self, form) -> bool:
        """Apply a pressed "Lägg till rad"/"Ta bort" button; True means re-render, no checks."""
        return apply_row_action(form, getattr(form, "_row_action", None))

    def options_sources(self) -> set[str]:
        """Return the names of the run-time choice lists the form uses (`ui:optionsSource`)."""
        return {source for _node, source in source_nodes(self.schema, self.uischema)}

    def attachment_fields(self) -> list[str]:
        """Return the top-level fields of attached files (`"x-bilagor": true`), in order."""
        return [name for name, node in self.schema.get("properties", {}).items()
                if is_attachments(node)]

    def with_choices(self, choices: Choices) -> "FormDefinition":
        """Return a new definition whose run-time choice lists are filled in.

        `choices` maps a source name to (value, label) pairs. Every property whose uischema
        names a source in `choices` gets a `oneOf` of `{"const": value, "title": label}`
        (a list: in its `items`), so the form shows them and validation accepts only them.
        Sources not in `choices` are left as they are; this definition is not changed.
        """
        schema = schema_with_choices(self.schema, self.uischema, choices)
        return FormDefinition(self.name, schema, copy.deepcopy(self.uischema), self.lang)

    def subset(self, names: list[str]) -> "FormDefinition":
        """Return a new definition with only the top-level properties in `names`.

        Properties keep the schema's order, `required` and `ui:order` are filtered, and a
        condition (an `allOf` entry, the `if`/`then`/`else`, …) is kept only when every
        property it mentions is kept. Unknown names are ignored; no known name at all raises
        ValueError("inga fält"). The title stays the form's title.
        """
        schema = subset_schema(self.schema, names)
        uischema = subset_uischema(self.uischema, list(schema["properties"]),
                                   list(self.schema.get("properties", {})))
        return FormDefinition(self.name, schema, uischema, self.lang)

    @property
    def validator(self) -> Draft202012Validator:
        """The jsonschema validator of this form's schema, with format checks."""
        if self._validator is None:
            self._validator = make_validator(self.schema)
        return self._validator


def load_form(forms_dir: Path, name: str) -> FormDefinition:
    """Load `NAME-schema.json` and, if present, `NAME-uischema.json` from `forms_dir`.

    `name` may also be given as the file name a BPMN task names (`ansokan-schema.json`).
    """
    forms_dir = Path(forms_dir)
    name = name.removesuffix(".json").removesuffix("-schema")
    schema_file = forms_dir / f"{name}{SCHEMA_SUFFIX}"
    if not NAME.fullmatch(name):
        raise FormFileError(schema_file, "ogiltigt formulärnamn (a–z, 0–9, - och _)")
    schema = read_json(schema_file)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise FormFileError(schema_file, f"ogiltigt JSON Schema: {err.message}") from err
    ui_file = forms_dir / f"{name}{UI_SUFFIX}"
    uischema = read_json(ui_file) if ui_file.exists() else {}
    return FormDefinition(name, schema, uischema)


def load_catalogue(forms_dir: Path) -> dict[str, FormDefinition]:
    """Load every form in `forms_dir`; raise FormFileError for the first bad file."""
    forms_dir = Path(forms_dir)
    if not forms_dir.is_dir():
        raise FormFileError(forms_dir, "mappen finns inte")
    names = sorted(p.name.removesuffix(SCHEMA_SUFFIX) for p in forms_dir.glob(f"*{SCHEMA_SUFFIX}"))
    for ui_file in sorted(forms_dir.glob(f"*{UI_SUFFIX}")):
        if ui_file.name.removesuffix(UI_SUFFIX) not in names:
            raise FormFileError(ui_file, f"det finns inget schema till uischemat ({SCHEMA_SUFFIX})")
    return {name: load_form(forms_dir, name) for name in names}


def read_json(file: Path) -> dict:
    """Return the JSON object in a file; raise FormFileError naming the file and the problem."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise FormFileError(file, "filen finns inte") from err
    except (OSError, UnicodeDecodeError) as err:
        raise FormFileError(file, f"filen kan inte läsas: {err}") from err
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise FormFileError(
            file, f"ogiltig JSON på rad {err.lineno}, kolumn {err.colno}: {err.msg}") from err
    if not isinstance(value, dict):
        raise FormFileError(file, "filen ska innehålla ett JSON-objekt")
    return value
