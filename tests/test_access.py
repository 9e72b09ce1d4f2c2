"""The access matrix: every route × every role → allowed or denied (404 hides existence)."""

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.effects.models import ReferenceItem
from app.engine.models import HumanTask
from app.formatting import local_today
from app.grants import applications
from app.grants.models import Round
from tests.conftest import csrf_token, login
from tests.factories import (
    make_application,
    open_task,
    review_all,
    review_data,
    submitted_application,
    to_review,
    user,
)

ROLES = ["anonym", "sokande", "sokande2", "handlaggare", "bedomare", "beslutsfattare",
         "ekonomi", "admin"]

# route → the statuses by role, in ROLES order. 302 for anonymous = sent to the login page.
MATRIX = {
    "GET /uppgifter": [302, 200, 200, 200, 200, 200, 200, 200],
    "GET /ansokningar": [302, 200, 200, 200, 200, 200, 200, 200],
    "GET /ansokningar/{case}": [302, 200, 404, 200, 404, 200, 200, 200],
    # An unsubmitted draft is the applying organisation's business only.
    "GET /ansokningar/{draft}": [302, 200, 404, 404, 404, 404, 404, 404],
    "GET /ansokningar/{draft}/ta-bort": [302, 200, 404, 404, 404, 404, 404, 404],
    # The process map: whoever may see the case sees its diagram and states.
    "GET /ansokningar/{case}/processkarta.json": [302, 200, 404, 200, 404, 200, 200, 200],
    "GET /ansokningar/{case}/processkarta.bpmn": [302, 200, 404, 200, 404, 200, 200, 200],
    "GET /ansokningar/{draft}/processkarta.json": [302, 200, 404, 404, 404, 404, 404, 404],
    "GET /ansokningar/{case}/ta-bort": [302, 404, 404, 404, 404, 404, 404, 404],
    "GET /uppgifter/{check_task}": [302, 404, 404, 200, 404, 404, 404, 404],
    "GET /uppgifter/{draft_task}": [302, 200, 404, 404, 404, 404, 404, 404],
    "POST /uppgifter/{check_task}": [302, 404, 404, 200, 404, 404, 404, 404],
    "POST /uppgifter/{draft_task}": [302, 200, 404, 404, 404, 404, 404, 404],
    "GET /admin/": [302, 404, 404, 404, 404, 404, 404, 200],
    "GET /budget": [302, 404, 404, 200, 404, 200, 200, 200],
    "GET /rapporter/delegationsbeslut": [302, 404, 404, 200, 404, 200, 404, 200],
    "GET /rapporter/delegationsbeslut?format=csv": [302, 404, 404, 200, 404, 200, 404, 200],
    "GET /utkorg": [302, 404, 404, 200, 404, 404, 404, 200],
    "GET /ansokningar/{case}/bedomningar": [302, 404, 404, 200, 404, 200, 404, 200],
    "GET /ansokningar/{case}/aterkalla": [302, 200, 404, 404, 404, 404, 404, 404],
    "POST /uppgifter/{check_task}/jav": [302, 404, 404, 422, 404, 404, 404, 404],
    # Taking, letting go, handing over: only who may see the task (then back to it, 302;
    # handing over without a colleague names the field, 422).
    "POST /uppgifter/{check_task}/ta": [302, 404, 404, 302, 404, 404, 404, 404],
    "POST /uppgifter/{check_task}/slapp": [302, 404, 404, 302, 404, 404, 404, 404],
    "GET /uppgifter/{check_task}/lamna": [302, 404, 404, 200, 404, 404, 404, 404],
    "POST /uppgifter/{check_task}/lamna": [302, 404, 404, 422, 404, 404, 404, 404],
    # Without a selection the bulk form sends everyone back to Mina uppgifter.
    "POST /uppgifter/valda": [302, 302, 302, 302, 302, 302, 302, 302],
    # Exports of the lists: everyone gets their own list's rows.
    "GET /uppgifter?format=csv": [302, 200, 200, 200, 200, 200, 200, 200],
    "GET /ansokningar?format=xlsx": [302, 200, 200, 200, 200, 200, 200, 200],
    "POST /admin/incidenter/999/kor-om": [302, 404, 404, 404, 404, 404, 404, 302],
    "GET /ekonomi/": [302, 404, 404, 404, 404, 404, 200, 404],
    "GET /ekonomi/batcher": [302, 404, 404, 404, 404, 404, 200, 404],
    "GET /ekonomi/aterkrav": [302, 404, 404, 404, 404, 404, 200, 404],
    "POST /ekonomi/attestera": [302, 404, 404, 404, 404, 404, 302, 404],
    "GET /admin/organisationer": [302, 404, 404, 404, 404, 404, 404, 200],
    "GET /admin/organisationer/{organisation}": [302, 404, 404, 404, 404, 404, 404, 200],
    # Funds and rounds: the administrator's only. POSTs carry no fields: 422 for the admin.
    "GET /admin/fonder": [302, 404, 404, 404, 404, 404, 404, 200],
    "GET /admin/fonder/ny": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/fonder/ny": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/fonder/{fund}": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/fonder/{fund}": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/fonder/{fund}/omgangar/ny": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/fonder/{fund}/omgangar/ny": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/fonder/omgangar/{round}": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/fonder/omgangar/{round}/budget": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/fonder/omgangar/{round}/andra": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/fonder/omgangar/{round}/andra": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/fonder/omgangar/{round}/stang": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/fonder/omgangar/{round}/stang": [302, 404, 404, 404, 404, 404, 404, 422],
    # Single sign-on: the group mapping is the administrator's; the log-in routes are open by
    # design (the callback is where the provider sends an anonymous browser back) and are no
    # pages at all while OIDC_ISSUER is unset, as here (tests/test_sso.py covers them on).
    "GET /admin/sso-grupper": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/sso-grupper": [302, 404, 404, 404, 404, 404, 404, 422],
    "POST /admin/sso-grupper/99999/ta-bort": [302, 404, 404, 404, 404, 404, 404, 404],
    "GET /logga-in/sso": [404, 404, 404, 404, 404, 404, 404, 404],
    "GET /logga-in/sso/klar": [404, 404, 404, 404, 404, 404, 404, 404],
    "GET /admin/fonder/99999": [302, 404, 404, 404, 404, 404, 404, 404],
    "GET /admin/fonder/omgangar/99999": [302, 404, 404, 404, 404, 404, 404, 404],
    "GET /ansokningar/99999": [302, 404, 404, 404, 404, 404, 404, 404],
    "GET /uppgifter/00000000-0000-0000-0000-000000000000": [302, 404, 404, 404, 404, 404,
                                                           404, 404],
    # Process versions: the administrator's only. POSTs carry no files or version: 422.
    "GET /admin/processer": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/processer/driftsatt": [302, 404, 404, 404, 404, 404, 404, 422],
    "POST /admin/processer/999/flytta": [302, 404, 404, 404, 404, 404, 404, 422],
    # Users, organisations and the audit log: the administrator's only.
    "GET /admin/anvandare": [302, 404, 404, 404, 404, 404, 404, 200],
    "GET /admin/anvandare/ny": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/anvandare/ny": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/anvandare/{user}": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/anvandare/{user}": [302, 404, 404, 404, 404, 404, 404, 422],
    "POST /admin/anvandare/{user}/inbjudan": [302, 404, 404, 404, 404, 404, 404, 302],
    "POST /admin/anvandare/{user}/inaktivera": [302, 404, 404, 404, 404, 404, 404, 302],
    "POST /admin/anvandare/{user}/aktivera": [302, 404, 404, 404, 404, 404, 404, 302],
    "GET /admin/anvandare/99999": [302, 404, 404, 404, 404, 404, 404, 404],
    "GET /admin/organisationer/ny": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/organisationer/ny": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/organisationer/{organisation}/uppgifter": [302, 404, 404, 404, 404, 404, 404,
                                                          200],
    "POST /admin/organisationer/{organisation}/uppgifter": [302, 404, 404, 404, 404, 404,
                                                           404, 422],
    "GET /admin/handelser": [302, 404, 404, 404, 404, 404, 404, 200],
    # The fund overview and its downloads: staff who follow the fund (not reviewers, who see
    # only their assigned cases) and the administrator.
    "GET /oversikt": [302, 404, 404, 200, 404, 200, 200, 200],
    "GET /oversikt/alla.xlsx": [302, 404, 404, 200, 404, 200, 200, 200],
    "GET /oversikt/effektrapport.xlsx?fond={fund}&ar=2026": [302, 404, 404, 200, 404, 200, 200,
                                                             200],
    # The reference lists: the administrator's only (POSTs without fields: 422).
    "GET /admin/listor/kommundel": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/listor/atgardsplan": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/listor/post/{reference_item}": [302, 404, 404, 404, 404, 404, 404, 200],
    "POST /admin/listor/post/{reference_item}": [302, 404, 404, 404, 404, 404, 404, 422],
    "GET /admin/listor/post/99999": [302, 404, 404, 404, 404, 404, 404, 404],
    # One's own password: every logged-in user (POST without the current password: 422).
    "GET /konto/byt-losenord": [302, 200, 200, 200, 200, 200, 200, 200],
    "POST /konto/byt-losenord": [302, 422, 422, 422, 422, 422, 422, 422],
    # Forgot password and the e-mailed link: before logging in, so open to all (no address
    # given: 422; an unknown link: 404).
    "GET /konto/glomt-losenord": [200, 200, 200, 200, 200, 200, 200, 200],
    "POST /konto/glomt-losenord": [422, 422, 422, 422, 422, 422, 422, 422],
    "GET /konto/losenord/okand-lank": [404, 404, 404, 404, 404, 404, 404, 404],
    "POST /konto/losenord/okand-lank": [404, 404, 404, 404, 404, 404, 404, 404],
}


@pytest.fixture
def objects(app, session, demo):
    # Access is the subject here, not restarts: the app's own engine (the engine tests run
    # every step with a fresh one too), so the matrix runs once per database.
    engine = app.extensions["engine"]
    case = submitted_application(session, engine)
    draft = make_application(session, engine)
    return {
        "case": case.id,
        "draft": draft.id,
        "check_task": open_task(session, case, "formell_kontroll").id,
        "draft_task": open_task(session, draft, "ansokan").id,
        "organisation": case.organisation_id,
        "fund": case.round.fund_id,
        "round": case.round_id,
        "user": session.scalars(select(User.id).where(User.username == "bedomare2")).one(),
        "reference_item": session.scalars(select(ReferenceItem.id)).first(),
    }


# A reviewer's rights: the case assigned to them (reviewed by the other reviewer, not yet by
# them), the case they declared jäv in (in the review form), a case nobody assigned them.
REVIEWER_MATRIX = {
    "GET /ansokningar/{assigned}": [302, 200, 404, 200, 200, 200, 200, 200],
    "GET /ansokningar/{assigned}/bedomningar": [302, 404, 404, 200, 404, 200, 404, 200],
    "GET /ansokningar/{assigned}/processkarta.json": [302, 200, 404, 200, 200, 200, 200, 200],
    "GET /ansokningar/{recused}/processkarta.json": [302, 200, 404, 200, 404, 200, 200, 200],
    "GET /uppgifter/{review_task}": [302, 404, 404, 404, 200, 404, 404, 404],
    "GET /ansokningar/{recused}": [302, 200, 404, 200, 404, 200, 200, 200],
    "GET /ansokningar/{recused}/bedomningar": [302, 404, 404, 200, 404, 200, 404, 200],
    "GET /ansokningar/{case}": [302, 200, 404, 200, 404, 200, 200, 200],
}


@pytest.fixture
def reviewer_objects(app, session, demo):
    engine = app.extensions["engine"]
    assigned = submitted_application(session, engine)
    to_review(session, engine, assigned)
    review_all(session, engine, assigned, reviewers=("bedomare2",))
    recused = submitted_application(session, engine)
    to_review(session, engine, recused)
    recusal = session.scalars(select(HumanTask.id).where(
        HumanTask.instance_id == recused.process_instance_id,
        HumanTask.assignee == "bedomare")).one()
    applications.complete_task(session, engine, user(session, "bedomare"), recusal,
                               review_data(jav=True), local_today())
    session.commit()
    return {"assigned": assigned.id, "recused": recused.id,
            "case": submitted_application(session, engine).id,
            "review_task": open_task(session, assigned, "bedomning").id}


@pytest.mark.parametrize("route", list(MATRIX))
def test_access_matrix(app, objects, route):
    check_route(app, route, MATRIX[route], objects)


@pytest.mark.parametrize("route", list(REVIEWER_MATRIX))
def test_reviewer_access_matrix(app, reviewer_objects, route):
    check_route(app, route, REVIEWER_MATRIX[route], reviewer_objects)


def check_route(app, route: str, statuses: list[int], objects: dict,
                roles: list[str] = ROLES) -> None:
    """Ask the route as each role; assert the status the matrix gives it."""
    method, path = route.split(" ")
    path = path.format(**objects)
    for role, expected in zip(roles, statuses, strict=True):
        client = app.test_client()
        if role != "anonym":
            login(client, role)
        if method == "GET":
            response = client.get(path)
        else:
            # The draft task POST is a row action (re-render, 200): it changes nothing.
            data = {"csrf_token": csrf_token(client), "_rows": "add:budget"}
            response = client.post(path, data=data)
        assert response.status_code == expected, f"{role} {route}: {response.status_code}"


def test_applicant_never_sees_another_organisations_case_in_lists(app, objects):
    client = app.test_client()
    login(client, "sokande2")
    page = client.get("/ansokningar").get_data(as_text=True)
    assert "Nattvandring i Flemingsberg" not in page
    assert "Det finns inga ansökningar ännu" in page
    page = client.get("/uppgifter").get_data(as_text=True)
    assert "Du har inga uppgifter just nu" in page


# An applicant who acts for two organisations (Kultur- och fritidsnämnden, sokande's, and
# Socialnämnden) beside the applicants of one each: every case and task of both of theirs,
# nothing of Huge Fastigheter AB's (sokande2's), and no administration.
MULTI_ROLES = ["multi", "sokande", "sokande2"]
MULTI_MATRIX = {
    "GET /ansokningar/{case}": [200, 200, 404],
    "GET /ansokningar/{case}/aterkalla": [200, 200, 404],
    "GET /ansokningar/{own_draft}": [200, 404, 404],
    "GET /ansokningar/{own_draft}/ta-bort": [200, 404, 404],
    "GET /uppgifter/{own_draft_task}": [200, 404, 404],
    "POST /uppgifter/{own_draft_task}": [200, 404, 404],
    "GET /uppgifter/{draft_task}": [200, 200, 404],
    "GET /ansokningar/{other_case}": [404, 404, 200],
    "GET /ansokningar/{other_case}/aterkalla": [404, 404, 200],
    "GET /uppgifter/{other_draft_task}": [404, 404, 200],
    "GET /admin/anvandare": [404, 404, 404],
    "GET /admin/organisationer": [404, 404, 404],
}


@pytest.fixture
def multi_objects(app, session, demo):
    from app.accounts.models import UserOrganisation, UserRole
    from app.accounts.passwords import hash_password
    from app.grants.models import Organisation

    names = ["Kultur- och fritidsnämnden", "Socialnämnden"]
    session.add(User(username="multi", display_name="Mona Multi", email="mona@x.example",
                     password_hash=hash_password("demo1234"),
                     role_rows=[UserRole(role="sokande")],
                     organisation_rows=[UserOrganisation(organisation_id=o.id) for o in
                                        session.scalars(select(Organisation)
                                                        .where(Organisation.name.in_(names)))]))
    session.commit()
    engine = app.extensions["engine"]
    fund_round = session.scalars(select(Round)).first()
    social = session.scalars(select(Organisation.id).where(
        Organisation.name == "Socialnämnden")).one()
    own_draft = applications.start_application(session, engine, user(session, "multi"),
                                               fund_round.id, local_today(), social)
    session.commit()
    draft = make_application(session, engine)
    other_draft = make_application(session, engine, "sokande2")
    return {
        "case": submitted_application(session, engine).id,
        "own_draft": own_draft.id,
        "own_draft_task": open_task(session, own_draft, "ansokan").id,
        "draft_task": open_task(session, draft, "ansokan").id,
        "other_case": submitted_application(session, engine, "sokande2",
                                            titel="Belysning i Vårby").id,
        "other_draft_task": open_task(session, other_draft, "ansokan").id,
    }


@pytest.mark.parametrize("route", list(MULTI_MATRIX))
def test_multi_organisation_access_matrix(app, multi_objects, route):
    check_route(app, route, MULTI_MATRIX[route], multi_objects, MULTI_ROLES)


def test_an_applicant_of_two_organisations_lists_the_cases_and_tasks_of_both(
        app, multi_objects):
    client = app.test_client()
    login(client, "multi")
    page = client.get("/ansokningar").get_data(as_text=True)
    assert f"/ansokningar/{multi_objects['case']}\"" in page
    assert f"/ansokningar/{multi_objects['own_draft']}\"" in page
    assert "Socialnämnden" in page and "Nattvandring i Flemingsberg" in page
    assert "Belysning i Vårby" not in page
    tasks = client.get("/uppgifter").get_data(as_text=True)
    assert multi_objects["own_draft_task"] in tasks and multi_objects["draft_task"] in tasks
    assert multi_objects["other_draft_task"] not in tasks
