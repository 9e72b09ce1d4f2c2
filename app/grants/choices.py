"""Run-time choices for forms (uischema "ui:optionsSource"), e.g. the reviewers to assign."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserRole


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
}


def form_choices(session: Session, sources: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Return the choices of every named source this app knows."""
    return {name: SOURCES[name](session) for name in sources if name in SOURCES}
