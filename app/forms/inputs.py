"""WTForms fields for Swedish input: amounts with spaces, decimal commas, ISO dates; and the
list of attached files."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from wtforms import widgets
from wtforms.fields import (
    BooleanField,
    DateField,
    DecimalField,
    Field,
    IntegerField,
    SelectMultipleField,
)
from wtforms.utils import unset_value

from app.forms.languages import untranslated as _

WHOLE_NUMBER_MESSAGE = _("Ange ett heltal med siffror, t.ex. 1\u00a0500\u00a0000.")
NUMBER_MESSAGE = _("Ange ett tal med siffror, t.ex. 12,5.")
DATE_MESSAGE = _("Ange ett datum i formen ÅÅÅÅ-MM-DD.")

SPACES = re.compile(r"\s+")  # also matches no-break spaces (U+00A0, U+202F)
CURRENCY = re.compile(r"(kr\.?|sek|:-)$", re.IGNORECASE)
WHOLE = re.compile(r"-?[0-9]+")
DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
KB = 1024
MB = 1024 * 1024


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


class TickBoxField(BooleanField):
    """A checkbox: ticked only when the posted value says yes (the box's own "y", or "on",
    "1", "true", "ja", "yes"); "0", "false", "nej" or anything else is not ticked.
    (WTForms' BooleanField counts every value but "false" and "" as ticked.)"""

    TICKED = frozenset({"y", "on", "1", "true", "ja", "yes"})

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and str(valuelist[0]).strip().lower() in self.TICKED


class CheckboxGroupField(SelectMultipleField):
    """Several choices shown as a group of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class AttachmentsField(Field):
    """The files attached to a form: a list of {"id", "namn", "storlek", "typ"}.

    The page lists each file with a hidden `<name>-id` and a "Ta bort" checkbox
    `<name>-remove` (value: the id), and offers `<name>-upload` for new files. This field
    reads the ids and the removals; the application stores uploads and checks that posted
    ids are files of the case before it uses them (see app/web/uploads.py). Without posted
    ids (nothing was listed) the saved list is kept.
    """

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.raw_data = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = attachment_items(data)
        if formdata is None or not hasattr(formdata, "getlist"):
            return
        if f"{self.name}-id" in formdata:
            known = {item["id"]: item for item in self.data}
            self.data = [known.get(i, {"id": i}) for i in _ids(formdata.getlist(f"{self.name}-id"))]
        removed = set(_ids(formdata.getlist(f"{self.name}-remove")))
        self.data = [item for item in self.data if item["id"] not in removed]

    def process_formdata(self, valuelist):
        """Nothing is posted under the field's own name."""

    @staticmethod
    def size_text(size) -> str:
        """Return a file size as "12 kB" or "1,5 MB"."""
        if isinstance(size, bool) or not isinstance(size, int):
            return ""
        if size < MB:
            return f"{max(1, round(size / KB))}\u00a0kB"
        return f"{format_decimal(round(size / MB, 1), locale='sv_SE')}\u00a0MB"


def attachment_items(value) -> list[dict]:
    """Return the well-formed attachment items of a saved value (others are dropped)."""
    if not isinstance(value, list):
        return []
    return [dict(item) for item in value
            if isinstance(item, dict) and isinstance(item.get("id"), int)
            and not isinstance(item.get("id"), bool)]


def _ids(values) -> list[int]:
    ids = [int(v) for v in values if isinstance(v, str) and v.strip().isdigit()]
    return list(dict.fromkeys(ids))
