"""User accounts: created, edited, deactivated and given passwords by these functions only.
A new password or a deactivation ends the user's sessions."""

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserOrganisation, UserRole
from app.accounts.passwords import hash_password, password_problem
from app.accounts.roles import ROLES
from app.accounts.sessions import revoke_user_sessions
from app.audit import record_event
from app.errors import InvalidInput, NotAllowed, NotFound
from app.grants.fields import FormFields, flush_unique, given_values
from app.grants.models import Organisation

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
USER_FIELDS = ("username", "display_name", "title", "email")
# The most organisations one user may act for (the form lists them all).
MAX_ORGANISATIONS = 100
PAGE_SIZE = 50


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Användaren finns inte.")
    return user


def user_named(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"Användaren {username!r} finns inte.")
    return user


def list_users(session: Session, *, role: str = "", active: bool | None = None,
               page: int = 1) -> tuple[list[User], int]:
    """Return one page of users by name (with a role, active or not) and how many there are."""
    query = select(User)
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        query = query.where(User.active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(User.display_name, User.id)
                           .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    return list(rows), total or 0


def user_values(user: User | None) -> dict:
    """The form's values of a user (a new user: empty)."""
    if user is None:
        return {"roles": [], "organisation_ids": []}
    values = {name: getattr(user, name) or "" for name in USER_FIELDS}
    return {**values, "roles": sorted(user.roles),
            "organisation_ids": [str(i) for i in sorted(user.organisation_ids)]}


def create_user(session: Session, form: Mapping, *, actor_id: int | None) -> User:
    """Create a user without a password (they set one from their invitation link)."""
    values, roles, organisation_ids = clean_user(session, form)
    user = User(**values, password_hash="")
    user.role_rows = [UserRole(role=role) for role in sorted(roles)]
    user.organisation_rows = [UserOrganisation(organisation_id=organisation_id)
                              for organisation_id in sorted(organisation_ids)]
    session.add(user)
    flush_unique(session, "Användaren innehåller fel.", "username",
                 f"Användarnamnet {user.username} är upptaget.")
    record_event(session, "user_created", f"Användaren {user.username} skapad",
                 actor_id=actor_id, details={"user_id": user.id, "roles": sorted(roles),
                                             "organisations": sorted(organisation_ids),
                                             "values": given_values(values)})
    return user


def update_user(session: Session, user: User, form: Mapping, *, actor_id: int | None) -> User:
    """Save the user's changed values and roles; the audit event lists each change."""
    values, roles, organisation_ids = clean_user(session, form, user)
    if actor_id == user.id and "admin" in user.roles and "admin" not in roles:
        raise InvalidInput("Användaren innehåller fel.", {
            "roles": ["Du kan inte ta bort din egen administratörsroll."]})
    changed = {name: [getattr(user, name), value] for name, value in values.items()
               if getattr(user, name) != value}
    if roles != user.roles:
        changed["roles"] = [sorted(user.roles), sorted(roles)]
        keep = [row for row in user.role_rows if row.role in roles]
        user.role_rows = keep + [UserRole(role=role) for role in sorted(roles - user.roles)]
    if organisation_ids != user.organisation_ids:
        changed["organisations"] = [sorted(user.organisation_ids), sorted(organisation_ids)]
        set_organisations(user, organisation_ids)
    for name, value in values.items():
        setattr(user, name, value)
    flush_unique(session, "Användaren innehåller fel.", "username",
                 f"Användarnamnet {user.username} är upptaget.")
    if changed:
        record_event(session, "user_changed", f"Användaren {user.username} ändrad",
                     actor_id=actor_id, details={"user_id": user.id, "changed": changed})
    return user


def set_organisations(user: User, organisation_ids: set[int],
                      source: str = "admin", only_source: str | None = None) -> None:
    """Make the user act for exactly these organisations (of the rows given by
    `only_source`, if named: the others stay); rows kept keep who gave them."""
    keep = [row for row in user.organisation_rows if row.organisation_id in organisation_ids
            or (only_source is not None and row.source != only_source)]
    have = {row.organisation_id for row in keep}
    user.organisation_rows = keep + [UserOrganisation(organisation_id=i, source=source)
                                     for i in sorted(organisation_ids - have)]


def clean_user(session: Session, form: Mapping, user: User | None = None
               ) -> tuple[dict, set[str], set[int]]:
    """Return the form's values, roles and organisations checked; raise InvalidInput naming
    every bad field."""
    fields = FormFields(form)
    values = {
        "username": _username(fields),
        "display_name": fields.text("display_name", "Namn", 200),
        "title": fields.text("title", "Titel", 200, required=False),
        "email": _email(fields),
    }
    roles = _roles(fields, form)
    organisation_ids = _organisations(session, fields, form)
    if "sokande" in roles and not organisation_ids \
            and "organisation_ids" not in fields.errors:
        fields.problem("organisation_ids", "En sökande måste höra till en organisation: välj "
                                           "den eller de organisationer användaren söker för.")
    if values["username"] and "username" not in fields.errors:
        query = select(User.id).where(User.username == values["username"])
        if user is not None:
            query = query.where(User.id != user.id)
        if session.scalar(query) is not None:
            fields.problem("username", f"Användarnamnet {values['username']} är upptaget.")
    fields.raise_if_any("Användaren innehåller fel.")
    return values, roles, organisation_ids


def set_password(session: Session, user: User, password: str, now: datetime, *,
                 actor_id: int | None = None) -> int:
    """Give the user a new password (checked by the policy) and end every session they
    have; return how many."""
    problem = password_problem(password, (user.username, user.display_name, user.email))
    if problem:
        raise InvalidInput(problem, {"password": [problem]})
    user.password_hash = hash_password(password)
    record_event(session, "password_set", f"Nytt lösenord för {user.username}",
                 actor_id=actor_id, details={"user_id": user.id})
    return revoke_user_sessions(session, user, now, reason="password", actor_id=actor_id)


def deactivate_user(session: Session, user: User, now: datetime, *,
                    actor_id: int | None = None) -> int:
    """Stop the user from logging in and end every session they have; return how many.
    Their history (cases, reviews, audit events) stays."""
    if actor_id is not None and actor_id == user.id:
        raise NotAllowed("Du kan inte inaktivera ditt eget konto.")
    user.active = False
    record_event(session, "user_deactivated", f"{user.username} inaktiverad",
                 actor_id=actor_id, details={"user_id": user.id})
    return revoke_user_sessions(session, user, now, reason="deactivated", actor_id=actor_id)


def reactivate_user(session: Session, user: User, *, actor_id: int | None = None) -> None:
    """Let a deactivated user log in again (with the password they had)."""
    user.active = True
    record_event(session, "user_reactivated", f"{user.username} aktiverad igen",
                 actor_id=actor_id, details={"user_id": user.id})


def _username(fields: FormFields) -> str:
    value = fields.raw("username").lower()
    if not value:
        fields.problem("username", "Fyll i användarnamn.")
    elif not USERNAME.fullmatch(value):
        fields.problem("username", "Användarnamnet ska ha 2–80 tecken: små bokstäver a–z, "
                                   "siffror, punkt, bindestreck eller understreck.")
    return value


def _email(fields: FormFields) -> str:
    value = fields.text("email", "E-postadress", 254)
    if value and "email" not in fields.errors and not EMAIL.fullmatch(value):
        fields.problem("email", "Ange en e-postadress som namn@exempel.se.")
    return value


def _organisations(session: Session, fields: FormFields, form: Mapping) -> set[int]:
    values = _listed(form, "organisation_ids")
    if len(values) > MAX_ORGANISATIONS:
        fields.problem("organisation_ids", f"Välj högst {MAX_ORGANISATIONS} organisationer.")
        return set()
    ids = {int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 9}
    known = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(ids))))
    if len(known) != len(values):
        fields.problem("organisation_ids", "Välj organisationerna ur listan.")
    return known


def _listed(form: Mapping, name: str) -> set[str]:
    """The distinct non-empty values of a field given many times (or once, or as a list)."""
    raw = form.getlist(name) if hasattr(form, "getlist") else form.get(name) or []
    values = {str(value).strip() for value in ([raw] if isinstance(raw, str) else raw)}
    values.discard("")
    return values


def _roles(fields: FormFields, form: Mapping) -> set[str]:
    roles = _listed(form, "roles")
    unknown = roles - set(ROLES)
    if unknown:
        fields.problem("roles", f"Okänd roll: {', '.join(sorted(unknown))[:100]}. Välj bland "
                                f"{', '.join(ROLES)}.")
    if not roles:
        fields.problem("roles", "Välj minst en roll.")
    return roles & set(ROLES)
