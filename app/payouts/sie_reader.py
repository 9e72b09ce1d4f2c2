"""Read SIE 4 files back (tests, tools): records in order and verifikationer with transactions."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

_TOKEN = re.compile(r'"((?:\\.|[^"\\])*)"|\{((?:"(?:\\.|[^"\\])*"|[^}"])*)\}|(\S+)')
_ESCAPE = re.compile(r"\\(.)")

Field = str | tuple[tuple[str, str], ...]  # a text, or an object list {dim "object" …}


@dataclass(frozen=True)
class Record:
    label: str  # "#GEN"
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Transaction:
    account: str
    objects: tuple[tuple[str, str], ...]  # (dimension, object) pairs
    amount: Decimal
    day: date | None
    text: str


@dataclass(frozen=True)
class Voucher:
    series: str
    number: str
    day: date
    text: str
    registered_on: date | None
    sign: str
    transactions: tuple[Transaction, ...]

    @property
    def total(self) -> Decimal:
        return sum((transaction.amount for transaction in self.transactions), Decimal(0))


@dataclass(frozen=True)
class SieFile:
    records: tuple[Record, ...]  # every record in file order, #TRANS included
    vouchers: tuple[Voucher, ...]

    @property
    def labels(self) -> list[str]:
        return [record.label for record in self.records]

    def fields(self, label: str) -> list[tuple[Field, ...]]:
        """Return the fields of every record with this label, in file order."""
        return [record.fields for record in self.records if record.label == label]


def read(data: bytes) -> SieFile:
    """Parse a CP437 SIE file whose every line ends in CRLF; raise ValueError if malformed."""
    text = data.decode("cp437")
    lines = text.split("\r\n")
    if lines[-1] != "" or any("\r" in line or "\n" in line for line in lines):
        raise ValueError("Every line of a SIE file must end in CRLF.")
    records: list[Record] = []
    vouchers: list[Voucher] = []
    opened: Record | None = None
    transactions: list[Transaction] = []
    for number, line in enumerate(lines[:-1], start=1):
        stripped = line.strip()
        if stripped == "{":
            if not records or records[-1].label != "#VER" or opened:
                raise ValueError(f"Line {number}: '{{' without a #VER before it.")
            opened, transactions = records[-1], []
        elif stripped == "}":
            if opened is None:
                raise ValueError(f"Line {number}: '}}' without '{{'.")
            vouchers.append(_voucher(opened, transactions))
            opened = None
        elif stripped:
            record = _record(stripped)
            records.append(record)
            if record.label == "#TRANS":
                if opened is None:
                    raise ValueError(f"Line {number}: #TRANS outside a verifikation.")
                transactions.append(_transaction(record))
    if opened is not None:
        raise ValueError("A verifikation is not closed with '}'.")
    return SieFile(tuple(records), tuple(vouchers))


def _record(line: str) -> Record:
    label, *fields = [_field(match) for match in _TOKEN.finditer(line)]
    if not isinstance(label, str) or not label.startswith("#"):
        raise ValueError(f"Not a SIE record: {line!r}")
    return Record(label, tuple(fields))


def _field(match: re.Match) -> Field:
    quoted, objects, bare = match.groups()
    if quoted is not None:
        return _ESCAPE.sub(r"\1", quoted)
    if objects is not None:
        items = [_field(item) for item in _TOKEN.finditer(objects)]
        return tuple(zip(items[::2], items[1::2], strict=True))
    return bare


def _day(value: Field) -> date | None:
    return datetime.strptime(value, "%Y%m%d").date() if value else None


def _transaction(record: Record) -> Transaction:
    account, objects, amount, *rest = record.fields
    rest += ["", ""]
    return Transaction(account, objects, Decimal(amount), _day(rest[0]), rest[1])


def _voucher(record: Record, transactions: list[Transaction]) -> Voucher:
    series, number, day, text, *rest = record.fields
    rest += ["", ""]
    return Voucher(series, number, _day(day), text, _day(rest[0]), rest[1],
                   tuple(transactions))
