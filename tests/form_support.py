"""Shared material of the form tests: the all-field-types fixture form and helpers."""

from pathlib import Path

import jinja2
import lxml.html
from werkzeug.datastructures import MultiDict

from app.forms import (
    FormDefinition,
)

ROOT = Path(__file__).resolve().parent.parent
FORMS_DIR = ROOT / "forms"
FIXTURES = ROOT / "tests" / "fixtures" / "forms" / "fieldtypes"
TEMPLATES = ROOT / "app" / "web" / "templates"
REQUIRED = "Fältet är obligatoriskt."
REQUIRED_GROUP = "Fyll i uppgifterna i den här delen."
REQUIRED_ROWS = "Lägg till minst en rad."
CHOICE = "Välj ett av alternativen."
NBSP = "\u00a0"

GOOD = [
    ("namn", "Anna"), ("kod", "AB-123"), ("anteckning", "Kort."), ("antal", "1 500 000 kr"),
    ("andel", "12,5"), ("godkann", "y"), ("nyhetsbrev", "y"), ("farg", "grön"),
    ("storlek", "liten"), ("niva", "2"), ("epost", "anna@huddinge.se"), ("datum", "2027-03-14"),
    ("taggar", "a"), ("taggar", "c"), ("val", "x"), ("val", "y"), ("adress-gata", "Storgatan 1"),
    ("adress-postnummer", "141 85"), ("rader-0-text", "Lön"), ("rader-0-belopp", "1 000"),
    ("typ", "vanlig"),
]
GOOD_DATA = {
    "namn": "Anna", "kod": "AB-123", "anteckning": "Kort.", "antal": 1500000, "andel": 12.5,
    "godkann": True, "nyhetsbrev": True, "farg": "grön", "storlek": "liten", "niva": 2,
    "epost": "anna@huddinge.se", "datum": "2027-03-14", "taggar": ["a", "c"], "val": ["x", "y"],
    "adress": {"gata": "Storgatan 1", "postnummer": "141 85"},
    "rader": [{"text": "Lön", "belopp": 1000}], "typ": "vanlig",
}


def submit(defn: FormDefinition, **changes):
    """Return a validated form built from the good input with some fields changed or removed."""
    pairs = [(k, v) for k, v in GOOD if k not in changes]
    for key, value in changes.items():
        values = value if isinstance(value, list) else [value]
        pairs += [(key, v) for v in values if v is not None]
    form = defn.make_form(MultiDict(pairs))
    form.ok = defn.validate(form)
    return form


def render(form, defn) -> lxml.html.HtmlElement:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             extensions=["jinja2.ext.i18n"])
    env.install_null_translations(newstyle=True)  # the app's pages use Flask-Babel
    page = env.from_string(
        '{% from "forms/macros.html" import render_form %}'
        "<form>{{ render_form(form, definition) }}</form>"
    )
    return lxml.html.fromstring(page.render(form=form, definition=defn))


# A minimal valid form schema.
SMALL = {"title": "Liten", "type": "object", "properties": {"a": {"type": "string"}}}
