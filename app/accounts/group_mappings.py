"""The administrator's mapping from the identity provider's groups to roles and
organisations (applied at each SSO log-in by app/accounts/sso_users.py)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import GroupMapping
from app.accounts.roles import ROLES
from app.audit import record_event
from app.errors import InvalidInput, NotFound
from app.forms.validation import HIDDEN_CHARACTERS
from app.grants.models import Organisation

MAX_GROUP_LENGTH = 255


def list_mappings(session: Session) -> list[GroupMapping]:
    """Return every mapping, by group value."""
    return list(session.scalars(select(GroupMapping).order_by(GroupMapping.group_value,
                                                              GroupMapping.id)))


def add_mapping(session: Session, group_value: str, *, role: str | None = None,
                organisation_id: int | None = None, actor_id: int | None = None
                ) -> GroupMapping:
    """Map a group to a role or to an organisation (exactly one of them)."""
    group_value = (group_value or "").strip()
    _check(session, group_value, role or None, organisation_id)
    mapping = GroupMapping(group_value=group_value, role=role or None,
                           organisation_id=organisation_id)
    session.add(mapping)
    session.flush()
    record_event(session, "group_mapping_added", f"Gruppen {group_value} ger "
                 f"{_target(session, mapping)}", actor_id=actor_id,
                 details={"mapping_id": mapping.id, "group": group_value, "role": mapping.role,
                          "organisation_id": organisation_id})
    return mapping


def remove_mapping(session: Session, mapping_id: int, *, actor_id: int | None = None) -> None:
    """Remove a mapping (it no longer applies from the next log-in on)."""
    mapping = session.get(GroupMapping, mapping_id)
    if mapping is None:
        raise NotFound("Kopplingen finns inte.")
    record_event(session, "group_mapping_removed", f"Gruppen {mapping.group_value} ger inte "
                 f"längre {_target(session, mapping)}", actor_id=actor_id,
                 details={"mapping_id": mapping.id, "group": mapping.group_value,
                          "role": mapping.role, "organisation_id": mapping.organisation_id})
    session.delete(mapping)


def _check(session: Session, group_value: str, role: str | None,
           organisation_id: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if not group_value:
        errors["group_value"] = ["Ange gruppens värde som det står i grupp-claimet."]
    elif len(group_value) > MAX_GROUP_LENGTH or HIDDEN_CHARACTERS.search(group_value):
        errors["group_value"] = [f"Gruppen får ha högst {MAX_GROUP_LENGTH} tecken och inga "
                                 "osynliga styrtecken."]
    if bool(role) == bool(organisation_id):
        errors["target"] = ["Välj antingen en roll eller en organisation (en av dem)."]
    elif role and role not in ROLES:
        errors["role"] = ["Välj en av rollerna i listan."]
    elif organisation_id and session.get(Organisation, organisation_id) is None:
        errors["organisation_id"] = ["Välj en av organisationerna i listan."]
    if not errors and session.scalars(select(GroupMapping.id).where(
            GroupMapping.group_value == group_value, GroupMapping.role.is_(role)
            if role is None else GroupMapping.role == role,
            GroupMapping.organisation_id.is_(None) if organisation_id is None
            else GroupMapping.organisation_id == organisation_id)).first():
        errors["group_value"] = ["Den kopplingen finns redan."]
    if errors:
        raise InvalidInput("Kopplingen kunde inte sparas.", errors)


def _target(session: Session, mapping: GroupMapping) -> str:
    if mapping.role:
        return f"rollen {ROLES[mapping.role]}"
    organisation = session.get(Organisation, mapping.organisation_id)
    return f"organisationen {organisation.name if organisation else mapping.organisation_id}"
