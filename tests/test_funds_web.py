"""Funds and rounds in the admin pages and the `flask funds` / `flask rounds` commands: the
same operations, errors named on their fields with the typed input kept, a confirmation
before a round closes."""

from datetime import timedelta
from decimal import Decimal

from lxml import html
from sqlalchemy import select

from app.accounts.models import User, UserRole
from app.accounts.passwords import hash_password
from app.audit import AuditEvent
from app.formatting import local_today
from app.grants import applications, budget, funds, rounds
from app.grants.models import Fund, Round
from tests.conftest import csrf_token, login
from tests.factories import (
    application_data,
    complete,
    open_task,
    submitted_application,
    user,
)

TODAY = local_today()
YEAR = TODAY.year + 2


def post(client, path: str, **fields):
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, path)})


def tree_of(response):
    return html.fromstring(response.get_data(as_text=True))


def fresh(session, model, **where):
    session.rollback()  # see what the requests committed
    return session.scalars(select(model).filter_by(**where)).one()


def admin_client(client):
    login(client, "admin")
    return client


def round_fields(**overrides) -> dict:
    fields = {"name": f"Vår {YEAR}", "opens_on": f"{YEAR}-02-01", "closes_on": f"{YEAR}-03-15",
              "period_start": "", "period_end": "", "budget": "3 000 000 kr",
              "max_per_application": "300000", "komplettering_days": "21",
              "vikt_samverkan": "4"}
    fields.update(overrides)
    return fields


# -- pages ---------------------------------------------------------------------------------------

def test_lists_have_empty_states(app, sessions):
    with sessions() as session:
        session.add(User(username="admin", display_name="Ada", email="ada@huddinge.example",
                         password_hash=hash_password("demo1234"),
                         role_rows=[UserRole(role="admin")]))
        session.commit()
    client = app.test_client()
    login(client, "admin")
    tree = tree_of(client.get("/admin/fonder"))
    assert "Det finns inga fonder ännu" in tree.xpath("string(//p[@class='empty'])")
    assert tree.xpath("//a[@href='/admin/fonder/ny']")
    assert "/admin/fonder" in client.get("/admin/").get_data(as_text=True)


def test_the_list_shows_each_fund_with_its_rounds(client, session, demo):
    tree = tree_of(admin_client(client).get("/admin/fonder"))
    [row] = tree.xpath("//tbody/tr")
    assert row.xpath("string(th)") == "Ansökningsomgång 2027"
    assert "10 000 000" in row.text_content().replace("\xa0", " ")
    assert "Öppen" in row.text_content()


def test_a_fund_is_created_from_the_page(client, session, demo):
    response = post(admin_client(client), "/admin/fonder/ny", name="Sommarlovsfonden",
                    process_id="trygghetsfond", diarie_prefix="SF", organ="KFN",
                    project_pattern="SL{year2}-{seq}", allow_overlapping_rounds="ja")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    fund = fresh(session, Fund, name="Sommarlovsfonden")
    assert (fund.diarie_prefix, fund.organ, fund.allow_overlapping_rounds) == ("SF", "KFN", True)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "fund_created")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == demo["admin"].id
    page = client.get("/admin/fonder").get_data(as_text=True)
    assert "Sommarlovsfonden" in page and "Fonden har inga omgångar ännu" in page


def test_a_bad_fund_is_refused_on_its_fields_with_the_input_kept(client, session, demo):
    response = post(admin_client(client), "/admin/fonder/ny", name="Ny fond",
                    process_id="okand", diarie_prefix="K S", description="Text som blir kvar")
    assert response.status_code == 422
    tree = tree_of(response)
    assert "processkatalogen" in tree.xpath("string(//p[@id='process_id--fel'])")
    assert "1–20 bokstäver" in tree.xpath("string(//p[@id='diarie_prefix--fel'])")
    assert tree.xpath("//input[@id='name']/@value") == ["Ny fond"]
    assert tree.xpath("//input[@id='diarie_prefix']/@value") == ["K S"]
    assert tree.xpath("//input[@id='diarie_prefix']/@aria-invalid") == ["true"]
    assert tree.xpath("string(//textarea[@id='description'])") == "Text som blir kvar"
    assert set(tree.xpath("//div[@class='error-summary']//a/@href")) == {
        "#process_id", "#diarie_prefix"}
    session.rollback()
    assert session.scalars(select(Fund).where(Fund.name == "Ny fond")).first() is None


def test_a_fund_is_edited_from_the_page(client, session, demo):
    fund = fresh(session, Fund, name="Trygghetsfonden 2027")
    path = f"/admin/fonder/{fund.id}"
    tree = tree_of(admin_client(client).get(path))
    assert tree.xpath("//select[@id='process_id']/option[@selected]/@value") == ["trygghetsfond"]
    response = post(client, path, name=fund.name, process_id="trygghetsfond",
                    diarie_prefix="KS", signatory_name="Britt", signatory_title="Direktör",
                    cost_centre="1100")
    assert response.status_code == 302
    fund = fresh(session, Fund, id=fund.id)
    assert (fund.signatory_name, fund.signatory_title, fund.cost_centre) == (
        "Britt", "Direktör", "1100")
    assert post(client, "/admin/fonder/99999", name="x").status_code == 404


def test_a_round_is_opened_from_the_page(client, session, demo):
    fund = fresh(session, Fund, name="Trygghetsfonden 2027")
    path = f"/admin/fonder/{fund.id}/omgangar/ny"
    tree = tree_of(admin_client(client).get(path))
    assert tree.xpath("//input[@id='vikt_problemanalys']/@value") == [""]  # the form's x-vikt:
    assert "3" in tree.xpath("string(//p[@id='vikt_problemanalys--hjalp'])")
    response = post(client, path, **round_fields())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    fund_round = fresh(session, Round, name=f"Vår {YEAR}")
    assert (fund_round.budget, fund_round.komplettering_days) == (Decimal("3000000.00"), 21)
    assert fund_round.criteria_weights["samverkan"] == 4
    page = tree_of(client.get(response.headers["Location"]))
    weights = {r.xpath("string(th)"): r.xpath("string(td)")
               for r in page.xpath("//table[caption]/tbody/tr")}
    assert weights["Samverkan"] == "4"


def test_a_bad_round_keeps_the_typed_input_and_names_the_fields(client, session, demo):
    fund = fresh(session, Fund, name="Trygghetsfonden 2027")
    response = post(admin_client(client), f"/admin/fonder/{fund.id}/omgangar/ny",
                    **round_fields(opens_on=f"{YEAR}-04-01", budget="tre miljoner",
                                   vikt_samverkan="999"))
    assert response.status_code == 422
    tree = tree_of(response)
    assert "ange ett belopp med siffror" in tree.xpath("string(//p[@id='budget--fel'])")
    assert "från 0 till 100" in tree.xpath("string(//p[@id='vikt_samverkan--fel'])")
    assert "före den första" in tree.xpath("string(//p[@id='closes_on--fel'])")
    assert tree.xpath("//input[@id='budget']/@value") == ["tre miljoner"]
    assert tree.xpath("//input[@id='vikt_samverkan']/@value") == ["999"]
    assert tree.xpath("//input[@id='opens_on']/@value") == [f"{YEAR}-04-01"]


def test_overlap_is_refused_on_the_page(client, session, demo):
    fund = fresh(session, Fund, name="Trygghetsfonden 2027")
    response = post(admin_client(client), f"/admin/fonder/{fund.id}/omgangar/ny",
                    **round_fields(opens_on=TODAY.isoformat(),
                                   closes_on=(TODAY + timedelta(days=10)).isoformat()))
    assert response.status_code == 422
    assert "överlappar omgången Ansökningsomgång 2027" in tree_of(response).xpath(
        "string(//p[@id='opens_on--fel'])")


def test_the_budget_is_changed_on_the_round_page_never_below_committed(client, session,
                                                                       engine, demo):
    case = submitted_application(session, engine)
    budget.reserve(session, case, Decimal("250000"), actor_id=None)
    session.commit()
    round_id = case.round_id
    admin_client(client)
    page = tree_of(client.get(f"/admin/fonder/omgangar/{round_id}"))
    assert "250 000" in page.xpath("string(//dd[@id='bundet'])").replace("\xa0", " ")
    response = post(client, f"/admin/fonder/omgangar/{round_id}/budget", budget="100000",
                    reason="Neddragning")
    assert response.status_code == 422
    tree = tree_of(response)
    assert "reserverat och beviljat" in tree.xpath("string(//p[@id='budget--fel'])")
    assert tree.xpath("//input[@id='budget']/@value") == ["100000"]
    assert tree.xpath("string(//textarea[@id='reason'])") == "Neddragning"
    assert fresh(session, Round, id=round_id).budget == Decimal("10000000.00")
    response = post(client, f"/admin/fonder/omgangar/{round_id}/budget", budget="12 000 000",
                    reason="Tillskott enligt KS § 12")
    assert response.status_code == 302
    assert fresh(session, Round, id=round_id).budget == Decimal("12000000.00")
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "round_budget_changed")).one()
    assert event.details["reason"] == "Tillskott enligt KS § 12"
    assert event.actor_id == demo["admin"].id


def test_closing_a_round_asks_for_confirmation_first(client, session, demo):
    fund_round = fresh(session, Round, name="Ansökningsomgång 2027")
    path = f"/admin/fonder/omgangar/{fund_round.id}/stang"
    admin_client(client)
    page = tree_of(client.get(f"/admin/fonder/omgangar/{fund_round.id}"))
    assert page.xpath(f"//a[@href='{path}']")
    tree = tree_of(client.get(path))
    assert tree.xpath("//input[@type='checkbox'][@name='bekrafta']")
    response = post(client, path, reason="Medlen är slut")  # not confirmed
    assert response.status_code == 422
    tree = tree_of(response)
    assert "Kryssa i rutan" in tree.xpath("string(//p[@id='bekrafta--fel'])")
    assert tree.xpath("string(//textarea[@id='reason'])") == "Medlen är slut"
    assert fresh(session, Round, id=fund_round.id).closes_on == fund_round.closes_on
    response = post(client, path, reason="", bekrafta="ja")
    assert response.status_code == 422
    assert "Fyll i skäl" in tree_of(response).xpath("string(//p[@id='reason--fel'])")
    response = post(client, path, reason="Medlen är slut", bekrafta="ja")
    assert response.status_code == 302
    assert fresh(session, Round, id=fund_round.id).closes_on == TODAY
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "round_closed")).one()
    response = post(client, path, reason="Igen", bekrafta="ja")
    assert response.status_code == 422
    assert "stänger redan i dag" in response.get_data(as_text=True)


def test_the_pages_speak_english_too(client, session, demo):
    admin_client(client)
    assert post(client, "/sprak", lang="en", next="/admin/fonder").status_code == 302
    page = client.get("/admin/fonder").get_data(as_text=True)
    assert "Funds and rounds" in page and "Open a round" in page


# -- the commands ------------------------------------------------------------------------------

def test_the_commands_create_a_fund_open_a_round_and_change_it(runner, session, demo):
    command = ["funds", "create", "--name", "Sommarlovsfonden", "--process", "trygghetsfond",
               "--diarie-prefix", "SF"]
    result = runner.invoke(args=command)  # the global TF{year2}-{seq} is the demo fund's too
    assert result.exit_code == 1
    assert "--project-pattern: Den gemensamma projektkoden" in result.output
    result = runner.invoke(args=[*command, "--project-pattern", "{prefix}{year2}-{seq}"])
    assert result.exit_code == 0, result.output
    fund = fresh(session, Fund, name="Sommarlovsfonden")
    result = runner.invoke(args=["funds", "edit", str(fund.id), "--organ", "KFN"])
    assert result.exit_code == 0, result.output
    assert fresh(session, Fund, id=fund.id).organ == "KFN"
    assert fresh(session, Fund, id=fund.id).diarie_prefix == "SF"  # not given: kept
    result = runner.invoke(args=[
        "rounds", "open", str(fund.id), "--name", "Sommar", "--opens-on", f"{YEAR}-04-01",
        "--closes-on", f"{YEAR}-05-01", "--budget", "500000", "--max-per-application",
        "50000", "--weight", "samverkan=6"])
    assert result.exit_code == 0, result.output
    fund_round = fresh(session, Round, name="Sommar")
    assert fund_round.criteria_weights == {"samverkan": 6}
    assert fund_round.komplettering_days == 14
    result = runner.invoke(args=["rounds", "budget", str(fund_round.id), "600000",
                                 "--reason", "Tillskott"])
    assert result.exit_code == 0, result.output
    assert fresh(session, Round, id=fund_round.id).budget == Decimal("600000.00")
    result = runner.invoke(args=["rounds", "list", "--fund", str(fund.id)])
    assert "Sommar" in result.output and "600" in result.output
    assert "Sommar" in runner.invoke(args=["funds", "list"]).output
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(
        ["fund_created", "fund_changed", "round_opened", "round_budget_changed"]))).all()
    assert sorted(actions) == ["fund_changed", "fund_created", "fund_created",
                               "round_budget_changed", "round_opened", "round_opened"]


def test_the_commands_name_the_bad_options_and_change_nothing(runner, session, demo):
    result = runner.invoke(args=["funds", "create", "--name", "", "--process", "okand",
                                 "--diarie-prefix", "SF"])
    assert result.exit_code == 1
    assert "--name: Fyll i namn." in result.output
    assert "--process: Välj en process ur processkatalogen." in result.output
    fund_round = fresh(session, Round, name="Ansökningsomgång 2027")
    result = runner.invoke(args=["rounds", "open", str(fund_round.fund_id), "--name", "X",
                                 "--opens-on", "2027-13-01", "--closes-on", f"{YEAR}-01-01",
                                 "--budget", "0", "--max-per-application", "1",
                                 "--weight", "samverkan=500"])
    assert result.exit_code == 1
    assert "--opens-on: Första ansökningsdag: ange ett datum" in result.output
    assert "--budget: Budget: ange ett belopp större än 0 kr" in result.output
    assert "--weight samverkan: Vikt för Samverkan" in result.output
    result = runner.invoke(args=["rounds", "open", str(fund_round.fund_id), "--weight", "x=1"])
    assert result.exit_code == 1 and "okänt kriterium" in result.output
    result = runner.invoke(args=["rounds", "budget", str(fund_round.id), "noll", "--reason", "R"])
    assert result.exit_code == 1 and "--budget: Budget: ange ett belopp" in result.output
    result = runner.invoke(args=["rounds", "close", "99999", "--reason", "R"])
    assert result.exit_code == 1 and "finns inte" in result.output
    result = runner.invoke(args=["rounds", "close", str(fund_round.id), "--reason", "Slut"])
    assert result.exit_code == 0, result.output
    assert fresh(session, Round, id=fund_round.id).closes_on == TODAY
    assert session.scalars(select(Round)).all() == [fresh(session, Round, id=fund_round.id)]
    assert len(session.scalars(select(Fund)).all()) == 1


def test_the_rounds_komplettering_deadline_is_the_formal_checks_default(client, session, engine,
                                                                        demo):
    fund = fresh(session, Fund, name="Trygghetsfonden 2027")
    funds.update_fund(session, fund, {**funds.fund_values(fund),
                                      "allow_overlapping_rounds": "ja"},
                      processes={"trygghetsfond"}, actor_id=None)
    quick = rounds.open_round(session, fund, round_fields(
        name="Snabb", opens_on=TODAY.isoformat(), closes_on=(TODAY + timedelta(30)).isoformat(),
        komplettering_days="5"), criteria=[], today=TODAY, actor_id=None)
    session.commit()
    deadlines = {}
    for round_id in (quick.id, fresh(session, Round, name="Ansökningsomgång 2027").id):
        case = applications.start_application(session, engine, user(session, "sokande"),
                                              round_id, TODAY)
        session.commit()
        complete(session, engine, case, "ansokan", application_data(), "sokande")
        deadlines[round_id] = open_task(session, case, "formell_kontroll").id
    login(client, "handlaggare")
    for round_id, days in ((quick.id, 5), (fresh(session, Round, name="Ansökningsomgång 2027").id,
                                           14)):
        tree = tree_of(client.get(f"/uppgifter/{deadlines[round_id]}"))
        assert tree.xpath("//input[@name='komplettering_frist']/@value") == [
            (TODAY + timedelta(days=days)).isoformat()]


def test_a_round_is_edited_from_its_page_with_the_input_kept_on_error(client, session, demo):
    fund_round = fresh(session, Round, name="Ansökningsomgång 2027")
    path = f"/admin/fonder/omgangar/{fund_round.id}/andra"
    admin_client(client)
    assert tree_of(client.get(f"/admin/fonder/omgangar/{fund_round.id}")).xpath(
        f"//a[@href='{path}']")
    tree = tree_of(client.get(path))
    assert tree.xpath("//input[@id='name']/@value") == ["Ansökningsomgång 2027"]
    assert not tree.xpath("//input[@id='budget']")  # changed with a reason, elsewhere
    fields = {"name": "Omgång 2027", "opens_on": fund_round.opens_on.isoformat(),
              "closes_on": fund_round.closes_on.isoformat(), "period_start": "2027-01-01",
              "period_end": "2026-12-31", "max_per_application": "1000000",
              "komplettering_days": "7"}
    response = post(client, path, **fields)
    assert response.status_code == 422
    tree = tree_of(response)
    assert "sluta innan den börjar" in tree.xpath("string(//p[@id='period_end--fel'])")
    assert tree.xpath("//input[@id='name']/@value") == ["Omgång 2027"]
    response = post(client, path, **{**fields, "period_end": "2027-12-31"})
    assert response.status_code == 302
    stored = fresh(session, Round, id=fund_round.id)
    assert (stored.name, stored.komplettering_days, stored.max_per_application) == (
        "Omgång 2027", 7, Decimal("1000000.00"))
    assert stored.budget == fund_round.budget


def test_the_edit_command_changes_only_what_is_given(runner, session, demo):
    fund_round = fresh(session, Round, name="Ansökningsomgång 2027")
    result = runner.invoke(args=["rounds", "edit", str(fund_round.id), "--komplettering-days",
                                 "30", "--weight", "samverkan=5"])
    assert result.exit_code == 0, result.output
    stored = fresh(session, Round, id=fund_round.id)
    assert (stored.komplettering_days, stored.criteria_weights) == (30, {"samverkan": 5})
    assert (stored.name, stored.closes_on, stored.period_start) == (
        fund_round.name, fund_round.closes_on, fund_round.period_start)
    result = runner.invoke(args=["rounds", "edit", str(fund_round.id), "--weight",
                                 "samverkan="])  # back to the form's weight
    assert result.exit_code == 0, result.output
    assert fresh(session, Round, id=fund_round.id).criteria_weights == {}
    result = runner.invoke(args=["rounds", "edit", str(fund_round.id), "--opens-on", "igår"])
    assert result.exit_code == 1 and "--opens-on" in result.output
