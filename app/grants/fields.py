"""Fields of the administrator's forms (funds, rounds): each value read from a mapping of
strings, checked, and every problem kept under the field's name with a Swedish message."""

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.formatting import kronor
from app.forms.inputs import parse_decimal, parse_iso_date, parse_whole_number

MAX_AMOUNT = Decimal("1000000000000")  # Money is Numeric(14, 2): below 10¹² kr
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2199, 12, 31)
YES = {"ja", "on", "true", "1", "yes"}
# Line breaks and tabs are text; other control, format and private-use characters are not.
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}


class FormFields:
    """Reads one submitted form; `errors` collects the messages by field name."""

    def __init__(self, form: Mapping):
        self.form = form
        self.errors: dict[str, list[str]] = {}

    def raw(self, name: str) -> str:
        value = self.form.get(name)
        return "" if value is None else str(value).strip()

    def problem(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, label: str, max_length: int, required: bool = True,
             multiline: bool = False) -> str:
        """Return the field's text (trimmed); empty when missing and not required."""
        value = self.raw(name)
        if not value:
            if required:
                self.problem(name, f"Fyll i {label.lower()}.")
            return ""
        if len(value) > max_length:
            self.problem(name, f"{label} får vara högst {max_length} tecken "
                               f"(nu {len(value)}).")
        elif _has_refused_characters(value, multiline):
            self.problem(name, f"{label} innehåller otillåtna tecken (styr- eller "
                               f"formateringstecken).")
        return value

    def flag(self, name: str) -> bool:
        return self.raw(name).lower() in YES

    def date(self, name: str, label: str, required: bool = True) -> date | None:
        """Return the date typed as ÅÅÅÅ-MM-DD (2000–2199), or None."""
        value = self.raw(name)
        if not value:
            if required:
                self.problem(name, f"Ange {label.lower()} (ÅÅÅÅ-MM-DD).")
            return None
        try:
            day = parse_iso_date(value)
        except ValueError:
            self.problem(name, f"{label}: ange ett datum i formen ÅÅÅÅ-MM-DD.")
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            self.problem(name, f"{label}: ange ett datum mellan 2000 och 2199.")
            return None
        return day

    def amount(self, name: str, label: str) -> Decimal | None:
        """Return a positive amount in kronor (at most two decimals, below 10¹² kr)."""
        value = self.raw(name)
        if not value:
            self.problem(name, f"Ange {label.lower()} i kronor.")
            return None
        try:
            amount = parse_decimal(value)
        except ValueError:
            self.problem(name, f"{label}: ange ett belopp med siffror, t.ex. 1 500 000.")
            return None
        if not 0 < amount < MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
            self.problem(name, f"{label}: ange ett belopp större än 0 kr och mindre än "
                               f"{kronor(MAX_AMOUNT)}, med högst två decimaler.")
            return None
        return amount.quantize(Decimal("0.01"))

    def whole(self, name: str, label: str, low: int, high: int,
              required: bool = True) -> int | None:
        """Return a whole number between `low` and `high`, or None."""
        value = self.raw(name)
        if not value:
            if required:
                self.problem(name, f"Ange {label.lower()}.")
            return None
        try:
            number = parse_whole_number(value)
        except ValueError:
            self.problem(name, f"{label}: ange ett heltal med siffror.")
            return None
        if not low <= number <= high:
            self.problem(name, f"{label}: ange ett heltal från {low} till {high}.")
            return None
        return number

    def raise_if_any(self, message: str) -> None:
        if self.errors:
            raise InvalidInput(message, self.errors)


def flush_unique(session: Session, message: str, field: str, problem: str) -> None:
    """Flush in a savepoint. Another administrator may have taken a unique value (a name)
    since the form was checked (nothing locks the table): the unique index decides, and the
    loser gets the check's own message on the field, never a database error."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as err:
        raise InvalidInput(message, {field: [problem]}) from err


def given_values(values: dict) -> dict:
    """The values that were given (for an audit event's details)."""
    return {name: value for name, value in values.items() if value not in ("", None)}


def _has_refused_characters(value: str, multiline: bool) -> bool:
    for char in value:
        if multiline and char in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return True
    return False


LETTERS = re.compile(r"[^\W\d_]{1,20}")
