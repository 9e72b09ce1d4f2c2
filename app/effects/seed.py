"""The reference lists' starting content: Huddinge's kommundelar (the codes the application
form has always stored) and, for the demo, a lägesbild/åtgärdsplan to choose from."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.effects.models import ReferenceItem

KOMMUNDELAR = ("Flemingsberg", "Vårby", "Länna", "Skogås", "Trångsund", "Stuvsta-Snättringe",
               "Sjödalen-Fullersta", "Segeltorp", "Tullinge", "Huddinge centrum")
DEMO_PLAN = (
    ("1.1", "Otrygghet i centrummiljöer kvällstid", "Insecurity in town centres at night"),
    ("1.2", "Mörka och igenvuxna gångstråk", "Dark and overgrown footpaths"),
    ("2.1", "Unga som rekryteras till kriminella nätverk",
     "Young people recruited into criminal networks"),
    ("2.2", "Skadegörelse och klotter", "Vandalism and graffiti"),
    ("3.1", "Narkotikaförsäljning i offentlig miljö", "Drug dealing in public places"),
)


def ensure_reference_lists(session: Session, created: list[str]) -> None:
    """Fill each empty list with its starting content (demo)."""
    starting = {"kommundel": [(name, name, "") for name in KOMMUNDELAR],
                "atgardsplan": list(DEMO_PLAN)}
    for list_name, items in starting.items():
        if session.scalar(select(ReferenceItem.id).where(ReferenceItem.list_name == list_name)):
            continue
        session.add_all(ReferenceItem(list_name=list_name, code=code, name=name, name_en=name_en,
                                      position=position, active=True)
                        for position, (code, name, name_en) in enumerate(items, start=1))
        created.append(f"referenslista {list_name}")
