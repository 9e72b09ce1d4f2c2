"""No Python module under app/ names a fund, process, task, form field or message of a shipped
process: what the domain needs is declared in the files (see README, "Deklarationer").

The names are read from processes/ and forms/. A string literal in app/*.py equal to one of
them fails the test. Not counted:
- words shorter than four letters (`id`, `typ`, `mal` …: too generic to mean a field);
- GENERIC: general Swedish nouns the application uses in its own vocabulary (its own forms,
  message payloads, letter contexts, table columns), which a fund also happens to use as a
  field name. Each is listed with where the app uses it, so the list cannot grow silently;
- role names (app/accounts/roles.py): roles are the application's, a lane names them;
- notice kinds (app/notifications/models.py KINDS): the application's kinds of e-mail, which a
  process asks for by name (skicka_meddelande's parameter `typ`); that a shipped process also
  calls a task by the same word does not make the kind the task's.
"""

import ast
import json
from pathlib import Path

from lxml import etree

from app.accounts.roles import ROLES
from app.config import ROOT
from app.notifications.models import KINDS as NOTICE_KINDS

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
NAMED_ELEMENTS = ("process", "userTask", "manualTask", "message", "boundaryEvent",
                  "intermediateCatchEvent", "participant")
GENERIC = {
    "namn": "attachment items {id, namn, storlek, typ} (app/forms/kinds.py), a token's name",
    "storlek": "attachment items (app/forms/kinds.py, app/attachments)",
    "belopp": "the payout message's payload (app/payouts/batches.py) and round forms",
    "datum": "date formatting and the payout message's payload",
    "budget": "a round's budget (Round.budget, the round form)",
    "organ": "a fund's deciding body (Fund.organ, the fund form)",
    "motivering": "the decision correction form (app/grants/decisions.py)",
    "villkor": "the decision correction form (app/grants/decisions.py)",
    "kommentar": "free-text comment fields of the app's own forms",
    "post": "the HTTP method in routes",
    "beskrivning": "a fund's description (Fund.description, the fund form)",
    "titel": "the case title placeholder {titel} of the notice texts (grants/notices.py)",
    "utfall": "the decision outcome placeholder {utfall} of the notice texts",
}


def shipped_names() -> dict[str, str]:
    """Every name a shipped process or form defines → where it comes from."""
    names = {}
    for path in sorted((ROOT / "processes").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for tag in NAMED_ELEMENTS:
            for element in root.iter(f"{BPMN}{tag}"):
                for attribute in ("id", "processRef") if tag != "message" else ("id", "name"):
                    if element.get(attribute):
                        names[element.get(attribute)] = f"{path.name} {tag}"
    for path in sorted((ROOT / "forms").glob("*-schema.json")):
        for name in _fields(json.loads(path.read_text(encoding="utf-8"))):
            names[name] = f"{path.name} field"
    return names


def _fields(schema):
    if isinstance(schema, dict):
        for key, value in (schema.get("properties") or {}).items():
            yield key
            yield from _fields(value)
        for key in ("items", "if", "then", "else"):
            yield from _fields(schema.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key) or []:
                yield from _fields(part)


def literals(path: Path):
    """Yield (line, text) of every string literal of a module (docstrings too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_the_shipped_names_are_read_from_the_files():
    names = shipped_names()
    assert len(names) > 50
    assert "trygghetsfond" in names  # the process id


def test_no_module_under_app_names_a_shipped_process_task_field_or_message():
    names = {name: where for name, where in shipped_names().items()
             if len(name) >= 4 and name not in GENERIC and name not in ROLES
             and name not in NOTICE_KINDS}
    found = [f"{path.relative_to(ROOT)}:{line}: '{text}' ({names[text]})"
             for path in sorted((ROOT / "app").rglob("*.py"))
             for line, text in literals(path) if text in names]
    assert found == []


def test_the_generic_words_are_still_used_as_shipped_names():
    """A generic word no longer used by a shipped file leaves the list."""
    names = shipped_names()
    assert [word for word in GENERIC if word not in names] == []
