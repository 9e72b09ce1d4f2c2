"""WTForms fields for Swedish input: amounts with spaces, decimal commas, ISO dates."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from wtforms import widgets
from wtforms.fields import DateField, DecimalField, IntegerField, SelectMultipleField

WHOLE_NUMBER_MESSAGE = "Ange ett heltal med siffror, t.ex. 1\u00a0500\u00a0000."
NUMBER_MESSAGE = "Ange ett tal med siffror, t.ex. 12,5."
DATE_MESSAGE = "Ange ett datum i formen ÅÅÅÅ-MM-DD."

SPACES = re.compile(r"\s+")  # also matches no-break spaces (U+00A0, U+202F)
CURRENCY = re.compile(r"(kr\.?|sek|:-)$", re.IGNORECASE)
WHOLE = re.compile(r"-?[0-9]+")
DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _plain_number(text: str) -> str:
    """Drop spaces, a trailing currency ("kr", "SEK", ":-") and typographic minus signs."""
    text = CURRENCY.sub("", SPACES.sub("", text))
    return text.replace("\u2212", "-")


def parse_whole_number(text: str) -> int:
    """Parse "1 500 000", "1500000 kr" or "25 000:-" as an int; raise ValueError otherwise."""
    plain = _plain_number(text)
    if not WHOLE.fullmatch(plain):
        raise ValueError(text)
    return int(plain)


def parse_decimal(text: str) -> Decimal:
    """Parse "12,5" or "1 234,50 kr" as a Decimal; raise ValueError otherwise."""
    plain = _plain_number(text).replace(",", ".")
    if not DECIMAL.fullmatch(plain):
        raise ValueError(text)
    try:
        return Decimal(plain)
    except InvalidOperation as err:
        raise ValueError(text) from err


def parse_iso_date(text: str) -> date:
    """Parse exactly YYYY-MM-DD; raise ValueError otherwise."""
    if not ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


class WholeNumberField(IntegerField):
    """An integer typed as text, so that "1 500 000 kr" is accepted; empty means no value."""

    widget = widgets.TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, locale="sv_SE")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        if valuelist[0].strip():
            try:
                self.data = parse_whole_number(valuelist[0])
            except ValueError as err:
                raise ValueError(WHOLE_NUMBER_MESSAGE) from err


class DecimalCommaField(DecimalField):
    """A decimal number typed with a decimal comma (or point); empty means no value."""

    widget = widgets.TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(Decimal(self.data), "f").replace(".", ",")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        if valuelist[0].strip():
            try:
                self.data = parse_decimal(valuelist[0])
            except ValueError as err:
                raise ValueError(NUMBER_MESSAGE) from err


class IsoDateField(DateField):
    """A date as `<input type="date">` (YYYY-MM-DD); empty means no value."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        if valuelist[0].strip():
            try:
                self.data = parse_iso_date(valuelist[0].strip())
            except ValueError as err:
                raise ValueError(DATE_MESSAGE) from err


class CheckboxGroupField(SelectMultipleField):
    """Several choices shown as a group of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
