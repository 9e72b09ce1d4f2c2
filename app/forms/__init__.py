"""Forms as data: JSON Schema + uischema files → WTForms classes, Swedish validation.

This package does not import Flask; pass Flask-WTF's FlaskForm as `base` for CSRF.
"""

from app.forms.checks import check_definition
from app.forms.definitions import FormDefinition, FormFileError, load_catalogue, load_form

__all__ = ["FormDefinition", "FormFileError", "check_definition", "load_catalogue", "load_form"]
