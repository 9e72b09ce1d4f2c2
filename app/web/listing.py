"""Every list page the same way: search, filters, sorting and keyset pages read from the URL
(plain GET forms, so a view can be bookmarked and works without JavaScript), and the list as
shown — every page of it — exported to CSV or XLSX through one writer.

A view describes its list once (ListSpec: columns, filters, sort orders) and calls
`render_list`; the template shows it with the macros of `_list.html`."""

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import Response, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select

from app.formatting import STOCKHOLM, local_today
from app.listing import Order, Page, all_rows, fetch_page
from app.spreadsheet import csv_lines, write_xlsx_table
from app.web.context import db

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_QUERY = 200
MAX_KEY = 2**31 - 1
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class ListColumn:
    """A column: its heading, its value in a row (typed: the export keeps numbers and
    dates), the expression it sorts by (None: not sortable) and where its cell links."""

    key: str
    heading: str  # a lazy string: in the reader's language
    value: Callable[[object], object]
    sort: ColumnElement | None = None
    link: Callable[[object], str | None] | None = None
    css: str = ""


@dataclass(frozen=True)
class ListFilter:
    """A filter: a select of choices; the chosen value's SQL condition."""

    key: str
    label: str
    choices: Callable[[], list[tuple[str, str]]]
    condition: Callable[[str], ColumnElement]


@dataclass(frozen=True)
class ListSpec:
    name: str  # the list's name (a lazy string), also of its export files
    columns: list[ListColumn]
    key: ColumnElement  # the unique tiebreaker of every order (the rows' id)
    default_sort: str
    default_descending: bool = False
    filters: list[ListFilter] = field(default_factory=list)
    search: Callable[[str], ColumnElement] | None = None
    keep: tuple[str, ...] = ()  # the page's own parameters (a period) that links carry along


@dataclass
class ListView:
    """A list as the template shows it: its spec, the state read from the URL, one page."""

    spec: ListSpec
    values: dict
    choices: dict
    errors: dict
    page: Page | None = None

    @property
    def sort(self) -> str:
        return self.values["sortera"]

    @property
    def descending(self) -> bool:
        return self.values["ordning"] == "fallande"

    def url(self, **changes) -> str:
        """This list's URL with some parameters changed (None: left out)."""
        kept = {name: request.args.get(name) for name in self.spec.keep}
        args = {**kept, **{k: v for k, v in self.values.items() if k not in ("efter", "fore")},
                **changes}
        args = {k: v for k, v in args.items() if v not in (None, "")}
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    def sort_url(self, key: str) -> str:
        flip = key == self.sort and not self.descending
        return self.url(sortera=key, ordning="fallande" if flip else "stigande")

    def cells(self, row) -> list:
        return [(column, column.value(row), column.link(row) if column.link else None)
                for column in self.spec.columns]


def render_list(spec: ListSpec, query: Select, template: str, *,
                about_rows: Callable[[list], dict] | None = None, **context):
    """Read the list's state from the URL, then export it (?format=csv|xlsx) or render one
    page of it; wrong parameters are named on the page (422) and the list shown without them.
    `about_rows(rows)` adds what the template needs to know about the page's rows."""
    view = read_state(spec, request.args)
    query = filtered(spec, view, query)
    order = Order(_sort_column(spec, view.sort).sort, spec.key, view.descending)
    kind = request.args.get("format")
    if kind in ("csv", "xlsx") and not view.errors:
        return export(spec, all_rows(db(), query, order), kind)
    size = view.values["antal"]
    view.page = fetch_page(db(), query, order, size, after=view.values.get("efter"),
                           before=view.values.get("fore"))
    if about_rows is not None:
        context.update(about_rows(view.page.rows))
    return render_template(template, listing=view, **context), 422 if view.errors else 200


def read_state(spec: ListSpec, args: Mapping) -> ListView:
    """The list's state from the URL's parameters; each wrong one gets a message by name."""
    errors: dict[str, list[str]] = {}
    values: dict = {"q": (args.get("q") or "").strip()[:MAX_QUERY]}
    sortable = {c.key for c in spec.columns if c.sort is not None}
    values["sortera"] = args.get("sortera") or spec.default_sort
    if values["sortera"] not in sortable:
        errors["sortera"] = [_("Listan kan inte sorteras på ”%(value)s”.",
                               value=values["sortera"][:40])]
        values["sortera"] = spec.default_sort
    default_order = "fallande" if spec.default_descending else "stigande"
    values["ordning"] = args.get("ordning") or default_order
    if values["ordning"] not in ("stigande", "fallande"):
        errors["ordning"] = [_("Ordningen är stigande eller fallande.")]
        values["ordning"] = default_order
    values["antal"] = _page_size(args.get("antal"), errors)
    for name in ("efter", "fore"):
        if args.get(name):
            values[name] = _cursor(spec, args[name], name, errors)
    choices = {f.key: f.choices() for f in spec.filters}
    for list_filter in spec.filters:
        value = args.get(list_filter.key) or ""
        if value and value not in dict(choices[list_filter.key]):
            errors[list_filter.key] = [_("%(field)s: välj ett av alternativen i listan.",
                                         field=list_filter.label)]
            value = ""
        values[list_filter.key] = value
    return ListView(spec, values, choices, errors)


def filtered(spec: ListSpec, view: ListView, query: Select) -> Select:
    """The query with the chosen filters and the search applied."""
    for list_filter in spec.filters:
        if view.values.get(list_filter.key):
            query = query.where(list_filter.condition(view.values[list_filter.key]))
    if spec.search is not None and view.values["q"]:
        query = query.where(spec.search(view.values["q"]))
    return query


def export(spec: ListSpec, rows, kind: str) -> Response:
    """The list's every row as CSV or XLSX, with the columns the page shows. Written to a
    temporary file page by page (memory stays bounded however long the list), before the
    response, so no database session outlives the request."""
    headings = [str(column.heading) for column in spec.columns]
    table = ([_export_value(column.value(row)) for column in spec.columns] for row in rows)
    name = f"{spec.name} {local_today().isoformat()}.{kind}"
    # Deleted when send_file closes it, after the response is sent.
    file = tempfile.NamedTemporaryFile(prefix="tf-list-", suffix=f".{kind}")  # noqa: SIM115
    if kind == "csv":
        with open(file.name, "w", encoding="utf-8", newline="") as out:
            out.writelines(csv_lines(headings, table))
    else:
        write_xlsx_table(file.name, str(spec.name), headings, table)
    response = send_file(file, download_name=name, as_attachment=True, mimetype=EXPORT_TYPES[kind])
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_value(value):
    """Times in Swedish local time, without a zone (spreadsheets know none)."""
    if isinstance(value, datetime):
        return value.astimezone(STOCKHOLM).replace(tzinfo=None, microsecond=0)
    return value


def _sort_column(spec: ListSpec, key: str) -> ListColumn:
    return next(c for c in spec.columns if c.key == key)


def _page_size(text: str | None, errors: dict) -> int:
    if not text:
        return DEFAULT_PAGE_SIZE
    if text.isdigit() and int(text) in PAGE_SIZES:
        return int(text)
    errors["antal"] = [_("Antal per sida: välj %(sizes)s.",
                         sizes=", ".join(str(size) for size in PAGE_SIZES))]
    return DEFAULT_PAGE_SIZE


def _cursor(spec: ListSpec, text: str, name: str, errors: dict):
    """A page's starting row: an id of the rows' key type (else a message, and page one)."""
    if spec.key.type.python_type is int:
        if text.isdigit() and 0 < int(text) <= MAX_KEY:
            return int(text)
    elif len(text) <= 64:
        return text
    errors[name] = [_("Sidan finns inte längre; listan visas från början.")]
    return None
