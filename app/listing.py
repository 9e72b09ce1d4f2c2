"""Pages of a list by keyset: the rows after (or before) one row in a sort order, never
OFFSET, so page 500 costs what page 1 does. Domain-neutral: any select, any order whose
tiebreaker is a unique key (the row id)."""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

# Rows fetched per round while exporting a whole list (memory stays bounded).
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class Order:
    """A sort order: a non-null expression, then a unique key as the tiebreaker."""

    expression: ColumnElement
    key: ColumnElement
    descending: bool = False

    def reversed(self) -> "Order":
        return Order(self.expression, self.key, not self.descending)

    def clauses(self) -> tuple:
        if self.descending:
            return self.expression.desc(), self.key.desc()
        return self.expression.asc(), self.key.asc()


@dataclass(frozen=True)
class Page:
    rows: list
    # The key of the first and last row, when there are rows before or after this page.
    before: object | None
    after: object | None


def beyond(query: Select, order: Order, cursor) -> ColumnElement[bool]:
    """The condition for the rows after the cursor row in this order (the cursor row's sort
    value is read by a subquery, so the cursor is only its key; the list's filters are left
    out of it, so a row that has since left the list still marks the place)."""
    value = (select(order.expression).select_from(*query.get_final_froms())
             .where(order.key == cursor).correlate(None).scalar_subquery())
    if order.descending:
        return or_(order.expression < value, and_(order.expression == value, order.key < cursor))
    return or_(order.expression > value, and_(order.expression == value, order.key > cursor))


def fetch_page(session: Session, query: Select, order: Order, size: int, *,
               after=None, before=None) -> Page:
    """One page of `size` rows: the first, the rows after `after`, or those before `before`."""
    backwards = before is not None and after is None
    walk = order.reversed() if backwards else order
    cursor = before if backwards else after
    paged = query.add_columns(walk.key)
    if cursor is not None:
        paged = paged.where(beyond(query, walk, cursor))
    found = session.execute(paged.order_by(*walk.clauses()).limit(size + 1)).all()
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    rows = [_strip(row) for row in found]
    keys = [row[-1] for row in found]
    if not keys:
        return Page([], None, None)
    more_before = more if backwards else cursor is not None
    more_after = True if backwards else more
    return Page(rows, keys[0] if more_before else None, keys[-1] if more_after else None)


def all_rows(session: Session, query: Select, order: Order,
             chunk: int = EXPORT_CHUNK) -> Iterator:
    """Every row in the order, read page by page (for exports of a whole list)."""
    after = None
    while True:
        page = fetch_page(session, query, order, chunk, after=after)
        yield from page.rows
        if page.after is None:
            return
        after = page.after


def _strip(row):
    """The row without the key column added for paging (a lone entity as itself)."""
    values = tuple(row)[:-1]
    return values[0] if len(values) == 1 else values
