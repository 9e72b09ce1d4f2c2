"""Fit free text into the export formats' character sets: CP437 for SIE, Latin-1 for banks."""

import re
import unicodedata

_PUNCTUATION = str.maketrans({
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2026": "...", "\u20ac": "EUR", "\u00a0": " ", "\u202f": " ",
})
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def fit_text(text: str, encoding: str, max_length: int | None = None) -> str:
    """Return text on one line with every character encodable in encoding ('?' if none fits)."""
    text = _WHITESPACE.sub(" ", str(text).translate(_PUNCTUATION))
    text = _CONTROL.sub("", text).strip()
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = "".join(_fit_char(char, encoding) for char in text)
    return text[:max_length].rstrip() if max_length else text


def _fit_char(char: str, encoding: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf"):
        return ""
    for candidate in (char, unicodedata.normalize("NFKC", char),
                      unicodedata.normalize("NFKD", char)[:1]):
        try:
            candidate.encode(encoding)
        except UnicodeEncodeError:
            continue
        return candidate
    return "?"
