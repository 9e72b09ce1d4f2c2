"""Reviews (bedömningar): criteria and weights come from the review form; weighted totals
and the case's rank among the round's applications. Each case keeps its score
(Application.review_score, updated whenever the case is saved), so a rank is one query."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.engine.models import ProcessInstance
from app.grants.models import Application

# The review form (its schema gives the criteria and weights) and its property.
REVIEW_FORM = "bedomning"
REVIEW_PROPERTY = "bedomning"
# The process variable that collects every review of a case.
REVIEWS_VARIABLE = "alla_bedomningar"


@dataclass
class Criterion:
    key: str
    title: str
    weight: int


@dataclass
class ReviewRow:
    reviewer: str
    jav: bool
    scores: dict[str, int] = field(default_factory=dict)
    motivations: dict[str, str] = field(default_factory=dict)
    recommendation: str = ""
    recommended_amount: int | None = None
    comment: str = ""
    weighted: Decimal | None = None


def criteria_of(review_schema: dict, weights: dict | None = None) -> list[Criterion]:
    """Read the criteria and their weights (x-vikt) from the review form's schema; `weights`
    (a round's, by criterion key) replaces the form's weight of each key it names."""
    review = review_schema.get("properties", {}).get(REVIEW_PROPERTY, {})
    criteria = review.get("properties", {}).get("kriterier", {}).get("properties", {})
    weights = weights or {}
    return [Criterion(key, node.get("title", key), int(weights.get(key, node.get("x-vikt", 1))))
            for key, node in criteria.items()]


def weighted_score(criteria: list[Criterion], scores: dict[str, int]) -> Decimal | None:
    """Return the weighted mean score (1–5, two decimals) of one review."""
    pairs = [(c.weight, scores[c.key]) for c in criteria if isinstance(scores.get(c.key), int)]
    total_weight = sum(w for w, _ in pairs)
    if not total_weight:
        return None
    mean = Decimal(sum(w * s for w, s in pairs)) / Decimal(total_weight)
    return mean.quantize(Decimal("0.01"), ROUND_HALF_UP)


def review_rows(criteria: list[Criterion], reviews: list[dict]) -> list[ReviewRow]:
    """Turn the process's collected reviews into rows for a side-by-side table."""
    rows = []
    for review in reviews:
        marks = review.get("kriterier") or {}
        scores = {k: v.get("poang") for k, v in marks.items() if isinstance(v, dict)}
        rows.append(ReviewRow(
            reviewer=review.get("bedomare", ""), jav=review.get("jav") == "jav", scores=scores,
            motivations={k: v.get("motivering", "") for k, v in marks.items()
                         if isinstance(v, dict)},
            recommendation=review.get("rekommendation", ""),
            recommended_amount=review.get("rekommenderat_belopp"),
            comment=review.get("kommentar", ""),
            weighted=None if review.get("jav") == "jav" else weighted_score(criteria, scores)))
    return rows


def case_score(rows: list[ReviewRow]) -> Decimal | None:
    """The mean of the valid reviews' weighted scores."""
    values = [r.weighted for r in rows if r.weighted is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def score_of(criteria: list[Criterion], data: dict | None) -> Decimal | None:
    """The case's score from its process data (the collected reviews)."""
    return case_score(review_rows(criteria, (data or {}).get(REVIEWS_VARIABLE) or []))


def update_review_score(application: Application, review_schema: dict | None,
                        data: dict | None) -> None:
    """Keep the case's stored score in step with its reviews (after every save)."""
    if review_schema is None or not (data or {}).get(REVIEWS_VARIABLE):
        return
    score = score_of(criteria_of(review_schema, application.round.criteria_weights), data)
    if application.review_score != score:
        application.review_score = score


def rescore_round(session: Session, round_id: int, criteria: list[Criterion]) -> int:
    """Score the round's reviewed cases anew with `criteria` (its weights changed); return
    how many changed. Reads every reviewed case of the round: an administrator's edit, not a
    page."""
    query = (select(Application, ProcessInstance.data)
             .join(ProcessInstance, ProcessInstance.id == Application.process_instance_id)
             .where(Application.round_id == round_id, Application.review_score.is_not(None))
             .execution_options(yield_per=500))
    changed = 0
    for application, data in session.execute(query):
        score = score_of(criteria, data)
        if application.review_score != score:
            application.review_score, changed = score, changed + 1
    return changed


def rank_in_round(session: Session, application: Application) -> tuple[int | None, int]:
    """The case's place among its round's scored cases (best first; the earlier case first
    on equal scores) and how many are scored, in one statement on the round's score index."""
    score, ahead = Application.review_score, None
    if application.review_score is not None:
        ahead = func.sum(case((
            (score > application.review_score)
            | ((score == application.review_score) & (Application.id < application.id)), 1),
            else_=0))
    ranked, before = session.execute(select(func.count(score), ahead if ahead is not None
                                            else literal(None))
                                     .where(Application.round_id == application.round_id)).one()
    return (None if before is None else int(before) + 1), ranked


def review_table(session: Session, review_schema: dict, application: Application) -> dict | None:
    """The case's reviews side by side (criteria, rows by reviewer name, the case's score and
    rank in its round), or None when it has none yet. Ask permissions.can_see_reviews first."""
    reviews = application.instance.data.get(REVIEWS_VARIABLE) or []
    if not reviews:
        return None
    criteria = criteria_of(review_schema, application.round.criteria_weights)
    rows = review_rows(criteria, reviews)
    names = dict(session.execute(select(User.username, User.display_name).where(
        User.username.in_([r.reviewer for r in rows]))).all())
    for row in rows:
        row.reviewer = names.get(row.reviewer, row.reviewer)
    rank, ranked = rank_in_round(session, application)
    return {"criteria": criteria, "rows": rows, "score": case_score(rows), "rank": rank,
            "ranked": ranked}
