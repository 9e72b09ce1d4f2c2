"""Run-time choices for forms (uischema "ui:optionsSource"), e.g. the reviewers to assign."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserRole
from app.effects.lists import reference_choices


def users_with_role(session: Session, role: str) -> list[tuple[str, str]]:
    """Return (username, "Name, title") of the active users holding a role."""
    query = (select(User.username, User.display_name, User.title).join(UserRole)
             .where(UserRole.role == role, User.active.is_(True)).order_by(User.display_name))
    return [(username, f"{name}, {title}" if title else name)
            for username, name, title in session.execute(query)]


# Source name → function(session) returning (value, label) pairs.
SOURCES = {
    "bedomare": lambda session: users_with_role(session, "bedomare"),
    "beslutsfattare": lambda session: users_with_role(session, "beslutsfattare"),
    # The administrator's reference lists (app.effects.lists).
    "kommundelar": lambda session: reference_choices(session, "kommundel"),
    "atgardsplan": lambda session: reference_choices(session, "atgardsplan"),
}
# Sources whose field keeps the form's own options while the list is empty.
FALLBACK_SOURCES = {"kommundelar"}


def form_choices(session: Session, sources: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Return the choices of every named source this app knows (a reference list not yet
    filled in leaves the form's own options)."""
    found = {name: SOURCES[name](session) for name in sources if name in SOURCES}
    return {name: choices for name, choices in found.items()
            if choices or name not in FALLBACK_SOURCES}
