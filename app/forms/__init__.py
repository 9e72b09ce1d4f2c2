"""Forms as data: JSON Schema + uischema files → WTForms classes, Swedish validation.

This package does not import Flask; pass Flask-WTF's FlaskForm as `base` for CSRF.
A definition can be varied without changing it: `with_choices` fills choice lists named by
`ui:optionsSource` at run time, `subset` keeps only some fields (e.g. for a komplettering),
`in_language` shows its texts in another language (`"x-en"` data next to the Swedish texts,
see languages.py).
"""

from app.forms.checks import check_definition
from app.forms.definitions import FormDefinition, FormFileError, load_catalogue, load_form
from app.forms.languages import LANGUAGES

__all__ = ["LANGUAGES", "FormDefinition", "FormFileError", "check_definition", "load_catalogue",
           "load_form"]
