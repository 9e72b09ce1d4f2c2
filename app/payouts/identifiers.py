"""Validate and format payee identifiers: organisationsnummer, bankgiro, plusgiro, IBAN, BIC.

Each validator returns the normalised value or raises ValueError with a Swedish message that
the caller shows next to the field it names.
"""

import re

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, ValidationError

ORG_NUMBER_GROUPS = "25789"  # kommun/region/stat, AB, ek. förening, ideell/stiftelse, HB/KB
_SEPARATORS = re.compile(r"[\s\-]")
_BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")  # as in the pain.001 XSD
_COST_CENTRE = re.compile(r"[0-9A-Za-z]{1,10}")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")


def _digits(value: str, lengths: range, message: str) -> str:
    digits = _SEPARATORS.sub("", str(value))
    if not digits.isascii() or not digits.isdigit() or len(digits) not in lengths:
        raise ValueError(message)
    return digits


def _check_luhn(digits: str, what: str) -> None:
    if not luhn.is_valid(digits):
        raise ValueError(f"Kontrollsiffran stämmer inte – kontrollera {what}.")


def org_number(value: str) -> str:
    """Return an organisationsnummer as NNNNNN-NNNN (also accepts the 16-prefixed form)."""
    digits = _digits(value, range(10, 13), "Organisationsnumret ska ha 10 siffror (NNNNNN-NNNN).")
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]
    if len(digits) != 10:
        raise ValueError("Organisationsnumret ska ha 10 siffror (NNNNNN-NNNN).")
    _check_luhn(digits, "organisationsnumret")
    if int(digits[2:4]) < 20:
        raise ValueError("Tredje och fjärde siffran ska vara minst 20 i ett organisationsnummer.")
    if digits[0] not in ORG_NUMBER_GROUPS:
        raise ValueError("Ett organisationsnummer börjar med 2, 5, 7, 8 eller 9.")
    return f"{digits[:6]}-{digits[6:]}"


def format_org_number(value: str) -> str:
    """Return 10 digits as NNNNNN-NNNN; anything else as given (for display only)."""
    digits = value.replace("-", "")
    return f"{digits[:6]}-{digits[6:]}" if len(digits) == 10 and digits.isdigit() else value


def bankgiro(value: str) -> str:
    """Return a bankgironummer as its 7 or 8 digits."""
    digits = _digits(value, range(7, 9), "Bankgironumret ska ha 7 eller 8 siffror.")
    _check_luhn(digits, "bankgironumret")
    return digits


def format_bankgiro(digits: str) -> str:
    """Return bankgiro digits as NNN-NNNN or NNNN-NNNN."""
    return f"{digits[:-4]}-{digits[-4:]}"


def plusgiro(value: str) -> str:
    """Return a plusgironummer as its 2 to 8 digits."""
    digits = _digits(value, range(2, 9), "Plusgironumret ska ha 2–8 siffror.")
    _check_luhn(digits, "plusgironumret")
    return digits


def format_plusgiro(digits: str) -> str:
    """Return plusgiro digits as pairs from the right and the check digit: 12 34 56-6."""
    body = digits[:-1]
    pairs = [body[max(0, end - 2):end] for end in range(len(body), 0, -2)]
    return f"{' '.join(reversed(pairs))}-{digits[-1]}"


def iban(value: str) -> str:
    """Return an IBAN compact and in upper case; a Swedish one has 24 characters."""
    compact = stdnum_iban.compact(str(value))
    if not _IBAN.fullmatch(compact):
        raise ValueError("Skriv IBAN med landskod, kontrollsiffror och kontonummer, "
                         "t.ex. SE45 5000 0000 0583 9825 7466.")
    if compact.startswith("SE") and len(compact) != 24:
        raise ValueError("Ett svenskt IBAN har 24 tecken (SE och 22 tecken till).")
    try:
        return stdnum_iban.validate(compact)
    except InvalidChecksum:
        raise ValueError("Kontrollsiffrorna stämmer inte – kontrollera IBAN.") from None
    except ValidationError:
        raise ValueError("IBAN har fel längd eller form för landet.") from None


def format_iban(value: str) -> str:
    """Return an IBAN in groups of four characters."""
    return stdnum_iban.format(value)


def bic(value: str) -> str:
    """Return a BIC in upper case, or "" when none is given (it is optional)."""
    compact = _SEPARATORS.sub("", str(value)).upper()
    if not compact:
        return ""
    if not _BIC.fullmatch(compact):
        raise ValueError("BIC ska ha 8 eller 11 tecken, t.ex. ESSESESS.")
    try:
        return stdnum_bic.validate(compact)
    except ValidationError:
        raise ValueError("BIC innehåller en okänd landskod.") from None


def cost_centre(value: str) -> str:
    """Return an ansvarskod: 1 to 10 letters (A–Z) or digits."""
    code = str(value).strip()
    if not _COST_CENTRE.fullmatch(code):
        raise ValueError("Ansvarskoden ska ha 1–10 tecken: bara siffror och bokstäver A–Z.")
    return code


_ACCOUNTS = {
    "bankgiro": (bankgiro, format_bankgiro, "Bankgiro"),
    "plusgiro": (plusgiro, format_plusgiro, "Plusgiro"),
    "iban": (iban, format_iban, "IBAN"),
}


def account(kind: str, value: str) -> str:
    """Return a payee account of kind "bankgiro", "plusgiro" or "iban", normalised."""
    if kind not in _ACCOUNTS:
        raise ValueError("Välj bankgiro, plusgiro eller IBAN.")
    return _ACCOUNTS[kind][0](value)


def describe_account(kind: str, value: str) -> str:
    """Return an account for people to read: "Bankgiro 5050-1055"."""
    if kind not in _ACCOUNTS:
        return value
    _, format_value, label = _ACCOUNTS[kind]
    return f"{label} {format_value(value)}"
