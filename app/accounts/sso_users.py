"""Users who log in through OpenID Connect: found or created by issuer + subject, their name
and e-mail kept from the claims, their roles set from the groups claim through the group
mapping at every log-in; the mapped organisations add to those the administrator gave."""

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import GroupMapping, User, UserIdentity, UserRole
from app.accounts.oidc import LoginRefused
from app.accounts.users import set_organisations
from app.audit import record_event
from app.errors import InvalidInput

# Stored instead of a password hash: argon2 never verifies it, so an SSO user has no password.
NO_PASSWORD = "!sso"  # noqa: S105 (not a password: an unusable hash)
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]+")


def sign_in_user(session: Session, issuer: str, claims: dict, *, groups_claim: str,
                 username_claim: str, now: datetime) -> User:
    """Return the user of these verified claims: created on first log-in, updated from the
    claims, with roles and organisations mapped from the groups. Refuse a deactivated user."""
    subject = str(claims["sub"])
    identity = session.scalars(select(UserIdentity).where(
        UserIdentity.issuer == issuer, UserIdentity.subject == subject)).first()
    if identity is None:
        user = _create_user(session, issuer, subject, claims, username_claim, now)
    else:
        user = session.get(User, identity.user_id)
        identity.last_login_at = now
    if not user.active:
        raise LoginRefused("Kontot är inaktiverat. Kontakta administratören.")
    _update_profile(user, claims)
    apply_group_mapping(session, user, groups_of(claims, groups_claim))
    return user


def groups_of(claims: dict, groups_claim: str) -> list[str]:
    """Return the group values of the claims (a list, or one string)."""
    value = claims.get(groups_claim) or []
    if isinstance(value, str):
        value = [value]
    return sorted({str(group) for group in value if str(group).strip()})


def apply_group_mapping(session: Session, user: User, groups: list[str]) -> None:
    """Replace the user's roles by the mapped ones, and the organisations an earlier mapping
    gave (never those the administrator gave); audit any change."""
    mappings = session.scalars(select(GroupMapping).where(GroupMapping.group_value.in_(groups))
                               .order_by(GroupMapping.id)).all() if groups else []
    roles = {m.role for m in mappings if m.role}
    organisations = {m.organisation_id for m in mappings if m.organisation_id}
    before = (sorted(user.roles), sorted(user.organisation_ids))
    if set(before[0]) != roles:
        user.role_rows = [row for row in user.role_rows if row.role in roles]
        user.role_rows.extend(UserRole(role=r) for r in sorted(roles - user.roles))
    set_organisations(user, organisations, source="sso", only_source="sso")
    after = (sorted(roles), sorted(user.organisation_ids))
    if before != after:
        record_event(session, "sso_roles_mapped",
                     f"Roller för {user.username} från grupper: {', '.join(after[0]) or '–'}",
                     actor_id=user.id,
                     details={"user_id": user.id, "groups": groups, "roles_before": before[0],
                              "roles": after[0], "organisations_before": before[1],
                              "organisations": after[1]})


def _create_user(session: Session, issuer: str, subject: str, claims: dict,
                 username_claim: str, now: datetime) -> User:
    user = User(username=_free_username(session, claims.get(username_claim) or
                                        claims.get("email") or f"sso-{subject}"),
                display_name=_display_name(claims), email=str(claims.get("email") or "")[:254],
                password_hash=NO_PASSWORD)
    session.add(user)
    session.flush()
    session.add(UserIdentity(issuer=issuer, subject=subject, user_id=user.id, created_at=now,
                             last_login_at=now))
    record_event(session, "sso_user_created",
                 f"Användare {user.username} skapad vid första inloggningen via SSO",
                 actor_id=user.id, details={"user_id": user.id, "issuer": issuer,
                                            "subject": subject})
    return user


def _update_profile(user: User, claims: dict) -> None:
    user.display_name = _display_name(claims, fallback=user.display_name)
    if claims.get("email"):
        user.email = str(claims["email"])[:254]


def _display_name(claims: dict, fallback: str = "") -> str:
    name = claims.get("name") or " ".join(
        str(claims[k]) for k in ("given_name", "family_name") if claims.get(k))
    return (str(name).strip() or fallback or str(claims.get("email") or claims["sub"]))[:200]


def _free_username(session: Session, wanted: str) -> str:
    """Return the wanted user name (made safe), or it with a number if it is taken: a local
    account of the same name is never taken over."""
    base = _USERNAME_UNSAFE.sub("-", str(wanted)).strip("-")[:70] or "sso"
    taken = set(session.scalars(select(User.username).where(User.username.like(f"{base}%"))))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def link_identity(session: Session, user: User, issuer: str, subject: str, now: datetime, *,
                  actor_id: int | None = None) -> UserIdentity:
    """Link an existing (local) account to the provider's subject, so that its first SSO log-in
    finds it instead of creating a new user; refuse a subject linked to someone else."""
    subject = (subject or "").strip()
    if not subject or len(subject) > 255:
        raise InvalidInput("Ange användarens sub hos identitetsleverantören (högst 255 tecken).",
                           {"subject": ["Ange sub (högst 255 tecken)."]})
    taken = session.scalars(select(UserIdentity).where(
        UserIdentity.issuer == issuer, UserIdentity.subject == subject)).first()
    if taken is not None:
        raise InvalidInput(f"Den identiteten är redan kopplad till användare {taken.user_id}.",
                           {"subject": ["Redan kopplad till en annan användare."]})
    identity = UserIdentity(issuer=issuer, subject=subject, user_id=user.id, created_at=now,
                            last_login_at=now)
    session.add(identity)
    record_event(session, "sso_identity_linked",
                 f"{user.username} kopplad till {subject} hos {issuer}", actor_id=actor_id,
                 details={"user_id": user.id, "issuer": issuer, "subject": subject})
    return identity
