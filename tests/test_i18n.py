"""The English catalogue: the language switch, complete translations, a compiled .mo that
matches the .po, and a catalogue that covers every string in the code and templates."""

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
# The same keywords as `make translations` (pybabel extract -k ...).
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "gettext": None, "ngettext": (1, 2),
            "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(([^)]+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
FIX = "run `make translations`, translate the new entries in {po}, then run it again"


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def singular(msgid) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def texts(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def switch_language(client, lang: str, back_to: str = "/uppgifter"):
    token = csrf_token(client, back_to)
    response = client.post("/sprak", data={"lang": lang, "next": back_to, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(back_to)


def test_english_and_back_to_swedish(client, demo):
    login(client, "handlaggare")
    page = client.get("/uppgifter").get_data(as_text=True)
    assert '<html lang="sv">' in page and "Mina uppgifter" in page

    switch_language(client, "en")
    page = client.get("/uppgifter").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "My tasks" in page and "Log out" in page
    assert "Mina uppgifter" not in page

    switch_language(client, "sv")
    page = client.get("/uppgifter").get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert "Mina uppgifter" in page and "My tasks" not in page


def test_unknown_language_falls_back_to_swedish(client, demo):
    login(client, "handlaggare")
    switch_language(client, "xx")
    page = client.get("/uppgifter").get_data(as_text=True)
    assert '<html lang="sv">' in page and "Mina uppgifter" in page


def test_every_message_is_translated_with_the_same_placeholders():
    catalog = read_catalog(PO)
    assert str(catalog.locale) == "en"
    assert not catalog.fuzzy, f"{PO} is marked fuzzy in its header: pybabel compile skips it"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        source = singular(message.id)
        strings = texts(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy (check and remove the flag): {source!r}")
        elif not all(s.strip() for s in strings):
            problems.append(f"no translation: {source!r}")
        else:
            wanted = placeholders(source)
            for translated in strings:
                if placeholders(translated) != wanted:
                    problems.append(f"placeholders differ: {source!r} -> {translated!r}")
    assert not problems, f"{len(problems)} problem(s) in {PO}:\n" + "\n".join(problems)


def messages_of(catalog) -> dict:
    """Return what a catalogue translates: id → translation (header and untranslated left out)."""
    return {tuple(texts(m.id)): tuple(texts(m.string))
            for m in catalog if m.id and any(texts(m.string)) and not m.fuzzy}


def test_compiled_catalogue_matches_the_po():
    # By content, not bytes: another Babel version may write the same catalogue differently.
    assert MO.exists(), f"{MO} is missing: run `make translations`"
    with MO.open("rb") as f:
        compiled = read_mo(f)
    assert messages_of(compiled) == messages_of(read_catalog(PO)), \
        f"{MO} is out of date with {PO}: run `make translations` (pybabel compile)"


def test_catalogue_covers_every_string_in_the_code():
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    found = {}
    for filename, lineno, msgid, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.setdefault(singular(msgid), f"{filename}:{lineno}")
    assert "Mina uppgifter" in found, "the extraction found nothing: check babel.cfg"

    template = {singular(m.id) for m in read_catalog(POT) if m.id}
    translated = {singular(m.id) for m in read_catalog(PO) if m.id}
    for path, known in ((POT, template), (PO, translated)):
        missing = sorted(set(found) - known)
        assert not missing, (
            f"{len(missing)} string(s) missing from {path.relative_to(ROOT)}; "
            + FIX.format(po=PO.relative_to(ROOT)) + ":\n"
            + "\n".join(f"  {found[m]}: {m!r}" for m in missing))
