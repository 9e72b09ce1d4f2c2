"""A form's texts in other languages, kept as data next to the Swedish ones.

Every schema node with a Swedish `title`, `description` or `errorMessage` (the form, a
property, a row, an option in `oneOf`/`anyOf`) carries `"x-en": {"title": …, "description": …}`
(an `errorMessage` object is translated whole: `"x-en": {"errorMessage": {"pattern": …}}`); every
uischema entry with a `ui:help` or `ui:placeholder` (and every section of `ui:groups`, with its
`title`) carries `"x-en": {"ui:help": …, "ui:placeholder": …}`.
`localized` lays the texts of one language over the Swedish ones; `missing_translations` names
each text that has no translation. jsonschema ignores the `x-` keywords.
"""

import re
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "sv"
# The languages every form must carry (besides Swedish); the catalogue check asks for them.
LANGUAGES = ("en",)
LANGUAGE_NAMES = {"en": "engelska"}  # for the problem texts
SCHEMA_TEXTS = ("title", "description", "errorMessage")
UI_TEXTS = ("ui:help", "ui:placeholder", "title")  # "title": a section of ui:groups
TRANSLATION = re.compile(r"x-[a-z]{2}")
# Keys of a schema node whose values are named properties, option lists or subschemas.
NAMED = ("properties",)
OPTIONS = ("oneOf", "anyOf")


# The app's catalogue (Flask-Babel's, read here with Babel alone: this package has no Flask).
CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "translations"


def untranslated(text: str) -> str:
    """Mark a Swedish message for the catalogue (`pybabel extract` finds `_("…")`)."""
    return text


def translate(text: str, lang: str, **params) -> str:
    """Return a marked message in `lang` (Swedish: as it is), filled with `params`."""
    if lang != SOURCE_LANGUAGE:
        text = _catalogue(lang).gettext(text)
    return text % params if params else text


@cache
def _catalogue(lang: str) -> NullTranslations:
    return Translations.load(str(CATALOGUE_DIR), [lang])


def translation_key(lang: str) -> str:
    """Return the key that holds a node's texts in `lang` (`x-en`)."""
    return f"x-{lang}"


def is_translation_key(key) -> bool:
    """Tell whether a key holds translated texts (`x-` and a two-letter language code)."""
    return isinstance(key, str) and TRANSLATION.fullmatch(key) is not None


def localized(node, lang: str):
    """Return a copy of a schema or uischema with the texts of `lang` laid over the Swedish
    ones (a text without a translation stays Swedish) and every `x-<lang>` key left out."""
    if isinstance(node, list):
        return [localized(item, lang) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: localized(value, lang) for key, value in node.items()
              if not is_translation_key(key)}
    texts = node.get(translation_key(lang))
    if isinstance(texts, dict):
        result.update({key: value for key, value in texts.items()
                       if key in node and _has_text(value)})
    return result


def missing_translations(schema: dict, uischema: dict, lang: str) -> list[str]:
    """Return a problem for every title, description, option, help text or placeholder of the
    form that lacks its text in `lang` (Swedish problem texts, as the other checks)."""
    key = translation_key(lang)
    problems = [f"{_where(path)}: {problem}"
                for path, problem in _missing(schema, SCHEMA_TEXTS, key, ())]
    problems += [f"uischema: {_where(path)}: {problem}"
                 for path, problem in _missing(uischema, UI_TEXTS, key, ())]
    return problems


def _missing(node, text_keys: tuple, key: str, path: tuple):
    """Yield (path, problem) for the node and everything below it."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _missing(item, text_keys, key, (*path, index))
        return
    if not isinstance(node, dict):
        return
    yield from ((path, problem) for problem in _node_problems(node, text_keys, key))
    for name, value in node.items():
        if is_translation_key(name):
            continue
        if name in NAMED and isinstance(value, dict):
            for prop, sub in value.items():
                yield from _missing(sub, text_keys, key, (*path, prop))
        elif name in OPTIONS and isinstance(value, list):
            for option in value:
                label = option.get("const") if isinstance(option, dict) else None
                yield from _missing(option, text_keys, key, (*path, f"alternativet {label!r}"))
        else:
            yield from _missing(value, text_keys, key, (*path, name))


def language_name(lang: str) -> str:
    """Return the Swedish name of a language for problem texts ("engelska")."""
    return LANGUAGE_NAMES.get(lang, lang)


def _node_problems(node: dict, text_keys: tuple, key: str) -> list[str]:
    texts = node.get(key, {})
    if not isinstance(texts, dict):
        return [f"\"{key}\" ska vara ett JSON-objekt med översatta texter"]
    lang = language_name(key.removeprefix("x-"))
    problems = [f"\"{text}\" saknar översättning till {lang} "
                f"(lägg till \"{key}\": {{\"{text}\": …}})"
                for text in text_keys
                if _has_text(node.get(text)) and not _has_text(texts.get(text))]
    problems += [f"\"{key}\" översätter \"{text}\" som inte finns bredvid"
                 for text in texts if text not in node]
    return problems


def _has_text(value) -> bool:
    """A text, or an object of texts (an `errorMessage` per keyword), that is not empty."""
    if isinstance(value, dict):
        return bool(value) and all(_has_text(item) for item in value.values())
    return isinstance(value, str) and bool(value.strip())


def _where(path: tuple) -> str:
    names = ".".join(str(part) for part in path
                     if part != "items" and not str(part).startswith("alternativet"))
    options = [str(part) for part in path if str(part).startswith("alternativet")]
    where = f"'{names}'" if names else "formuläret"
    return " ".join([where, *options])
