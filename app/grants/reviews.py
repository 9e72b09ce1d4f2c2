"""Reviews (bedömningar): criteria and weights come from the review form (the form whose
schema declares `"x-grant": "review_scores"`); weighted totals and the case's rank among the
round's applications. The review's parts are found by their declared meanings. Each case
keeps its score (Application.review_score, updated whenever the case is saved), so a rank is
one query."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.engine.models import ProcessInstance
from app.grants.declarations import FIELD_KEYWORD, OUTCOMES_KEYWORD, declared_properties
from app.grants.models import Application

# The process variable that collects every review of a case (each the review object with
# the reviewer's username under REVIEWER_KEY), set by the process's scripts.
REVIEWS_VARIABLE = "alla_bedomningar"
REVIEWER_KEY = "bedomare"


@dataclass
class Criterion:
    key: str
    title: str
    weight: int
    score_key: str = ""
    motivation_key: str = ""


@dataclass(frozen=True)
class ReviewShape:
    """Where a review object holds its parts (paths relative to the review object)."""

    scores: tuple[str, ...] = ()
    conflict: tuple[str, ...] = ()
    conflict_outcomes: Mapping = field(default_factory=dict)
    recommendation: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()
    comment: tuple[str, ...] = ()

    def get(self, review: Mapping, part: str, default=None):
        value: object = review
        path = getattr(self, part)
        if not path:
            return default
        for key in path:
            if not isinstance(value, Mapping) or key not in value:
                return default
            value = value[key]
        return value

    def is_conflict(self, review: Mapping) -> bool:
        return self.conflict_outcomes.get(self.get(review, "conflict")) == "conflict"


_PARTS = {"review_scores": "scores", "review_conflict": "conflict",
          "review_recommendation": "recommendation", "review_amount": "amount",
          "review_comment": "comment"}


def review_shape(review_schema: Mapping) -> ReviewShape:
    """Read where the review form's declared parts lie within its review object."""
    found = {node.get(FIELD_KEYWORD): (path, node) for path, node in
             declared_properties(review_schema)}
    base = found.get("review", ((), {}))[0]
    parts = {part: path[len(base):] for meaning, part in _PARTS.items()
             if (path := found.get(meaning, ((), {}))[0])[:len(base)] == base and path}
    outcomes = found.get("review_conflict", ((), {}))[1].get(OUTCOMES_KEYWORD) or {}
    return ReviewShape(conflict_outcomes=outcomes, **parts)


def scores_node(schema: Mapping) -> Mapping | None:
    """The object field of a form that holds the review scores (x-grant review_scores)."""
    return next((node for _path, node in declared_properties(schema)
                 if node.get(FIELD_KEYWORD) == "review_scores"), None)


def review_form_of(forms: Mapping):
    """The form (of `forms`) reviewers fill in, or None."""
    return next((form for form in forms.values() if scores_node(form.schema) is not None),
                None)


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
    criteria = (scores_node(review_schema) or {}).get("properties", {})
    weights = weights or {}
    return [Criterion(key, node.get("title", key), int(weights.get(key, node.get("x-vikt", 1))),
                      _key_of(node, "criterion_score"), _key_of(node, "criterion_motivation"))
            for key, node in criteria.items()]


def _key_of(criterion: Mapping, meaning: str) -> str:
    return next((key for key, node in (criterion.get("properties") or {}).items()
                 if isinstance(node, Mapping) and node.get(FIELD_KEYWORD) == meaning), "")


def weighted_score(criteria: list[Criterion], scores: dict[str, int]) -> Decimal | None:
    """Return the weighted mean score (1–5, two decimals) of one review."""
    pairs = [(c.weight, scores[c.key]) for c in criteria if isinstance(scores.get(c.key), int)]
    total_weight = sum(w for w, _ in pairs)
    if not total_weight:
        return None
    mean = Decimal(sum(w * s for w, s in pairs)) / Decimal(total_weight)
    return mean.quantize(Decimal("0.01"), ROUND_HALF_UP)


def review_rows(shape: ReviewShape, criteria: list[Criterion],
                reviews: list[dict]) -> list[ReviewRow]:
    """Turn the process's collected reviews into rows for a side-by-side table."""
    rows = []
    keys = {c.key: c for c in criteria}
    for review in (r for r in reviews if isinstance(r, Mapping)):
        marks = shape.get(review, "scores") or {}
        marks = {k: v for k, v in marks.items() if isinstance(v, dict) and k in keys}
        scores = {k: v.get(keys[k].score_key) for k, v in marks.items()}
        conflict = shape.is_conflict(review)
        rows.append(ReviewRow(
            reviewer=review.get(REVIEWER_KEY, ""), jav=conflict, scores=scores,
            motivations={k: v.get(keys[k].motivation_key, "") for k, v in marks.items()},
            recommendation=shape.get(review, "recommendation", ""),
            recommended_amount=shape.get(review, "amount"),
            comment=shape.get(review, "comment", ""),
            weighted=None if conflict else weighted_score(criteria, scores)))
    return rows


def case_score(rows: list[ReviewRow]) -> Decimal | None:
    """The mean of the valid reviews' weighted scores."""
    values = [r.weighted for r in rows if r.weighted is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def score_of(shape: ReviewShape, criteria: list[Criterion], data: Mapping | None
             ) -> Decimal | None:
    """The case's score from its process data (the collected reviews)."""
    return case_score(review_rows(shape, criteria, (data or {}).get(REVIEWS_VARIABLE) or []))


def update_review_score(application: Application, review_schema: dict | None,
                        data: dict | None) -> None:
    """Keep the case's stored score in step with its reviews (after every save)."""
    if review_schema is None or not (data or {}).get(REVIEWS_VARIABLE):
        return
    score = score_of(review_shape(review_schema),
                     criteria_of(review_schema, application.round.criteria_weights), data)
    if application.review_score != score:
        application.review_score = score


def rescore_round(session: Session, round_id: int, review_schema: dict,
                  weights: dict | None) -> int:
    """Score the round's reviewed cases anew with `weights` (they changed); return how many
    changed. Reads every reviewed case of the round: an administrator's edit, not a page."""
    shape, criteria = review_shape(review_schema), criteria_of(review_schema, weights)
    query = (select(Application, ProcessInstance.data)
             .join(ProcessInstance, ProcessInstance.id == Application.process_instance_id)
             .where(Application.round_id == round_id, Application.review_score.is_not(None))
             .execution_options(yield_per=500))
    changed = 0
    for application, data in session.execute(query):
        score = score_of(shape, criteria, data)
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
    shape = review_shape(review_schema)
    rows = review_rows(shape, criteria, reviews)
    names = dict(session.execute(select(User.username, User.display_name).where(
        User.username.in_([r.reviewer for r in rows]))).all())
    for row in rows:
        row.reviewer = names.get(row.reviewer, row.reviewer)
    rank, ranked = rank_in_round(session, application)
    return {"criteria": criteria, "rows": rows, "score": case_score(rows), "rank": rank,
            "ranked": ranked}
