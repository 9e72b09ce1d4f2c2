"""The roles of mission.md, with their Swedish names (also used as BPMN lane names)."""

ROLES: dict[str, str] = {
    "sokande": "Sökande",
    "handlaggare": "Handläggare",
    "bedomare": "Bedömare",
    "beslutsfattare": "Beslutsfattare",
    "ekonomi": "Ekonomi",
    "admin": "Administratör",
}


def role_for_lane(lane: str | None) -> str | None:
    """Return the role code a BPMN lane name stands for, or None if it names no role."""
    if lane is None:
        return None
    wanted = lane.strip().casefold()
    for code, label in ROLES.items():
        if wanted in (code, label.casefold()):
            return code
    return None
