"""A case's review score is kept on the case whenever it is saved, so its rank in the round is
one query, and a change of the round's weights scores the round anew."""

from decimal import Decimal

from sqlalchemy import event, select

from app.engine.models import HumanTask
from app.formatting import local_today
from app.grants import applications, rounds
from app.grants.models import Application, Round
from app.grants.reviews import rank_in_round, rescore_round, review_table
from tests.factories import review_all, submitted_application, to_review, user


def reviewed(session, engine, score: int) -> int:
    case = submitted_application(session, engine)
    to_review(session, engine, case)
    review_all(session, engine, case, score=score)
    return case.id


def test_the_rank_comes_from_the_kept_scores_in_one_query(app, sessions, engine, demo):
    with sessions() as session:
        middle, best, worst, tie = (reviewed(session, engine, score) for score in (3, 5, 2, 3))
        unreviewed = submitted_application(session, engine).id
    with sessions() as session:
        scores = dict(session.execute(select(Application.id, Application.review_score)).all())
        assert scores == {middle: Decimal("3.00"), best: Decimal("5.00"),
                          worst: Decimal("2.00"), tie: Decimal("3.00"), unreviewed: None}
        ranks = {case_id: rank_in_round(session, session.get(Application, case_id))
                 for case_id in scores}
    # Best first; on equal scores the earlier case first; four of five are scored.
    assert ranks == {best: (1, 4), middle: (2, 4), tie: (3, 4), worst: (4, 4),
                     unreviewed: (None, 4)}

    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    db_engine = app.extensions["db_engine"]
    schema = app.extensions["engine"].catalogue.forms["bedomning"].schema
    with sessions() as session:
        case = session.get(Application, tie)
        assert case.instance.data and case.round.criteria_weights == {}  # loaded first
        event.listen(db_engine, "before_cursor_execute", count)
        try:
            table = review_table(session, schema, case)
        finally:
            event.remove(db_engine, "before_cursor_execute", count)
    assert (table["score"], table["rank"], table["ranked"]) == (Decimal("3.00"), 3, 4)
    assert len(statements) == 2, statements  # the reviewers' names, the rank


def test_new_weights_score_the_round_anew(app, sessions, engine, demo):
    criteria = rounds.review_criteria(app.extensions["engine"].catalogue.forms)
    with sessions() as session:
        case = submitted_application(session, engine)
        to_review(session, engine, case)
        scores = {c.key: {"poang": 1, "motivering": "Svagt."} for c in criteria}
        scores["problemanalys"] = {"poang": 5, "motivering": "Utmärkt."}
        for reviewer in ("bedomare", "bedomare2"):
            task = session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == case.process_instance_id,
                HumanTask.assignee == reviewer, HumanTask.completed_at.is_(None))).one()
            applications.complete_task(session, engine, user(session, reviewer), task, {
                "bedomning": {"jav": "ingen", "kriterier": scores, "rekommendation": "bifall"}},
                local_today())
            session.commit()
        before = session.get(Application, case.id).review_score
        assert Decimal(1) < before < Decimal(5)  # the form's weights
        fund_round = session.scalars(select(Round)).one()
        weights = {f"vikt_{c.key}": "0" for c in criteria} | {"vikt_problemanalys": "1"}
        rounds.update_round(session, fund_round.id, {**rounds.round_values(fund_round),
                                                     **weights},
                            criteria=criteria, today=local_today(), actor_id=None,
                            review_schema=rounds.review_schema_of(
                                app.extensions["engine"].catalogue.forms))
        session.commit()
    with sessions() as session:
        assert session.get(Application, case.id).review_score == Decimal("5.00")
        schema = rounds.review_schema_of(app.extensions["engine"].catalogue.forms)
        assert rescore_round(session, fund_round.id, schema, session.get(
            Round, fund_round.id).criteria_weights) == 0  # nothing left to change
