"""The reference lists the administrator keeps: the kommundelar and the problems of the
kommun's lägesbild / åtgärdsplan. Forms offer the active items (app.grants.choices); reports
name every item, active or not, in the list's order."""

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.effects.models import REFERENCE_LISTS, ReferenceItem
from app.errors import NotFound
from app.grants.fields import FormFields, flush_unique

ITEM_FIELDS = ("code", "name", "name_en", "position", "active")
LIST_NAMES = {"kommundel": "Kommundelar", "atgardsplan": "Lägesbild och åtgärdsplan"}


def list_items(session: Session, list_name: str) -> list[ReferenceItem]:
    """Every item of a list, in its order."""
    return list(session.scalars(select(ReferenceItem).where(ReferenceItem.list_name == list_name)
                                .order_by(ReferenceItem.position, ReferenceItem.name)))


def reference_choices(session: Session, list_name: str) -> list[tuple[str, str]]:
    """(code, name) of the list's active items, for a form's options."""
    query = (select(ReferenceItem.code, ReferenceItem.name)
             .where(ReferenceItem.list_name == list_name, ReferenceItem.active.is_(True))
             .order_by(ReferenceItem.position, ReferenceItem.name))
    return [(code, name) for code, name in session.execute(query)]


def reference_names(session: Session, list_name: str, lang: str = "sv") -> dict[str, str]:
    """Code → name of every item of a list (English where given)."""
    return {item.code: (item.name_en if lang == "en" and item.name_en else item.name)
            for item in list_items(session, list_name)}


def get_item(session: Session, item_id: int) -> ReferenceItem:
    item = session.get(ReferenceItem, item_id)
    if item is None:
        raise NotFound("Posten finns inte.")
    return item


def item_values(item: ReferenceItem | None) -> dict:
    """The form's values of an item (a new one: active)."""
    if item is None:
        return {"active": True}
    return {name: getattr(item, name) for name in ITEM_FIELDS}


def create_item(session: Session, list_name: str, form: Mapping, *,
                actor_id: int | None) -> ReferenceItem:
    """Add an item to a list from the form's values; every bad field is named."""
    if list_name not in REFERENCE_LISTS:
        raise NotFound("Listan finns inte.")
    values = clean_item(session, list_name, form)
    if values["position"] is None:
        values["position"] = (session.scalar(select(func.max(ReferenceItem.position)).where(
            ReferenceItem.list_name == list_name)) or 0) + 1
    item = ReferenceItem(list_name=list_name, **values)
    session.add(item)
    _flush(session, item)
    record_event(session, "reference_item_created", f"{item.name} tillagd i {list_name}",
                 actor_id=actor_id, details={"item": item.id, "list": list_name,
                                             "values": values})
    return item


def update_item(session: Session, item: ReferenceItem, form: Mapping, *,
                actor_id: int | None) -> ReferenceItem:
    """Save an item's changed name, order and status; its code never changes (cases keep
    it)."""
    values = clean_item(session, item.list_name, form, item)
    values.pop("code")
    if values["position"] is None:
        values["position"] = item.position
    changed = {name: [getattr(item, name), value] for name, value in values.items()
               if getattr(item, name) != value}
    for name, value in values.items():
        setattr(item, name, value)
    _flush(session, item)
    if changed:
        record_event(session, "reference_item_changed", f"{item.name} ändrad i {item.list_name}",
                     actor_id=actor_id, details={"item": item.id, "changed": changed})
    return item


def clean_item(session: Session, list_name: str, form: Mapping,
               item: ReferenceItem | None = None) -> dict:
    """Return the form's values checked; raise InvalidInput naming every bad field."""
    fields = FormFields(form)
    code = item.code if item is not None else fields.text("code", "Kod", 100)
    values = {"code": code, "name": fields.text("name", "Namn", 200),
              "name_en": fields.text("name_en", "Namn på engelska", 200, required=False),
              "position": fields.whole("position", "Ordning", 0, 9999, required=False),
              "active": fields.flag("active")}
    if item is None and code and "code" not in fields.errors and session.scalar(
            select(ReferenceItem.id).where(ReferenceItem.list_name == list_name,
                                           ReferenceItem.code == code)) is not None:
        fields.problem("code", f"Det finns redan en post med koden {code}.")
    fields.raise_if_any("Posten innehåller fel.")
    return values


def _flush(session: Session, item: ReferenceItem) -> None:
    flush_unique(session, "Posten innehåller fel.", "code",
                 f"Det finns redan en post med koden {item.code}.")
