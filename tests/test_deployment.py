"""Process deployment without restart: a new version (BPMN with its forms) is checked whole,
stored once, and seen by every worker; running cases stay on theirs or are moved."""

import io
from itertools import pairwise

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.config import ROOT
from app.engine.deployment import deploy_files
from app.engine.migration import move_instances
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion
from app.errors import InvalidInput
from tests.conftest import FIXTURES, csrf_token, login, make_test_app
from tests.factories import (
    complete,
    open_task,
    open_task_names,
    review_all,
    submitted_application,
    to_review,
)

BPMN = (ROOT / "processes" / "trygghetsfond.bpmn").read_text(encoding="utf-8")
CHECK_FORM = (ROOT / "forms" / "formell-kontroll-schema.json").read_text(encoding="utf-8")
# Version 2: a new process name and a new field label in the formal check's form.
BPMN_2 = BPMN.replace('name="Trygghetsfonden" isExecutable',
                      'name="Trygghetsfonden 2" isExecutable')
CHECK_FORM_2 = CHECK_FORM.replace('"Utfall av den formella kontrollen"', '"Utfall (version 2)"')
ENKEL = (FIXTURES / "forms" / "enkel-schema.json").read_text(encoding="utf-8")


def two_steps(*steps: str, name: str = "Två steg") -> str:
    """A process of user tasks in a row (form `enkel`, lane Handläggare)."""
    ids = ["start", *steps, "slut"]
    tasks = "".join(f"""
    <bpmn:userTask id="{step}" name="Steg {step}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="name:en" value="Step {step}" />
        <spiffworkflow:property name="formJsonSchemaFilename" value="enkel-schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>""" for step in steps)
    flows = "".join(f"""
    <bpmn:sequenceFlow id="Flow_{a}_{b}" sourceRef="{a}" targetRef="{b}" />"""
                    for a, b in pairwise(ids))
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_steg" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="steg" name="{name}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_steg"><bpmn:lane id="Lane_h" name="Handläggare">{refs}</bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Start" />{tasks}
    <bpmn:endEvent id="slut" name="Klar"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="name:en" value="Done" />
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:endEvent>{flows}
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(autouse=True)
def versions(app):
    """The app's engine; after the test its catalogue is re-read (the rows are wiped)."""
    engine = app.extensions["engine"]
    yield engine
    engine.versions.forget()


def deploy(session, engine, files: dict[str, str]):
    session.rollback()  # SQLite: a snapshot older than another connection's write cannot write
    results = deploy_files(session, engine.versions,
                           {name: text.encode() for name, text in files.items()},
                           engine.operations, actor_id=None)
    session.commit()
    return results


def newest_version(session) -> ProcessVersion:
    session.rollback()  # a new snapshot: the version was stored by another session
    return session.scalar(select(ProcessVersion).order_by(ProcessVersion.id.desc()))


def instance_of(session, application) -> ProcessInstance:
    session.rollback()  # a new snapshot
    return session.get(ProcessInstance, application.process_instance_id)


def test_new_cases_start_on_the_deployed_version_running_cases_stay(session, versions, demo):
    old = submitted_application(session, versions)
    old_version = instance_of(session, old).process_version
    [(version, created)] = deploy(session, versions, {"trygghetsfond.bpmn": BPMN_2,
                                                      "formell-kontroll-schema.json": CHECK_FORM_2})
    assert created and version.id > old_version.id and version.name == "Trygghetsfonden 2"
    assert version.forms["formell-kontroll"]["schema"]["properties"]["kontroll_utfall"][
        "title"] == "Utfall (version 2)"
    new = submitted_application(session, versions)
    assert instance_of(session, new).process_version_id == version.id
    assert instance_of(session, old).process_version_id == old_version.id
    # Each case's task shows the form of its own version.
    for application, label in ((old, "Utfall av den formella kontrollen"),
                               (new, "Utfall (version 2)")):
        form = versions.task_form(session, open_task(session, application, "formell_kontroll"))
        assert form.schema["properties"]["kontroll_utfall"]["title"] == label
    # Both go on, each on its own version.
    for application in (old, new):
        complete(session, versions, application, "formell_kontroll",
                 {"kontroll_utfall": "komplett"}, "handlaggare")
        assert open_task_names(session, application) == ["tilldela_bedomare"]
    assert instance_of(session, old).process_version_id == old_version.id
    deployed = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "process_deployed")).all()
    # The files' version at its first use, then the new one (the catalogue's other processes
    # are stored at that first use too).
    assert [e.details["id"] for e in deployed if e.details["process"] == "trygghetsfond"] == [
        old_version.id, version.id]


def test_the_same_content_twice_is_not_a_new_version(session, versions, demo):
    files = {"trygghetsfond.bpmn": BPMN_2}
    [(first, created)] = deploy(session, versions, files)
    [(second, created_again)] = deploy(session, versions, files)
    assert created and not created_again and first.id == second.id
    newest = select(ProcessVersion.id).where(ProcessVersion.process_id == "trygghetsfond")
    assert session.scalar(newest.order_by(ProcessVersion.id.desc())) == first.id


def test_a_refused_file_lists_its_problems_and_stores_nothing(session, versions, demo):
    broken = BPMN.replace('value="formell-kontroll-schema.json"', 'value="saknas-schema.json"')
    before = session.scalars(select(ProcessVersion.id)).all()
    with pytest.raises(InvalidInput) as refused:
        deploy(session, versions, {"trygghetsfond.bpmn": broken,
                                   "unknown_operation.bpmn": (FIXTURES / "processes" /
                                                              "unknown_operation.bpmn").read_text()})
    session.rollback()
    problems = refused.value.errors["filer"]
    assert ("trygghetsfond.bpmn: trygghetsfond/formell_kontroll: formuläret 'saknas' finns "
            "inte i forms/") in problems
    assert ("unknown_operation.bpmn: unknown_operation/okand_tjanst: operationen 'finns_inte' "
            "är inte registrerad") in problems
    assert any("formell-kontroll-schema.json: formuläret används inte" in p for p in problems)
    assert session.scalars(select(ProcessVersion.id)).all() == before


def test_files_that_are_not_process_files_are_refused(session, versions, demo):
    with pytest.raises(InvalidInput) as refused:
        deploy(session, versions, {"script.py": "print(1)"})
    assert refused.value.errors["filer"] == [
        "script.py: endast .bpmn, .dmn, NAMN-schema.json och NAMN-uischema.json"]
    with pytest.raises(InvalidInput) as refused:
        deploy(session, versions, {"trygghetsfond.bpmn": "<inte xml"})
    assert refused.value.errors["filer"][0].startswith("trygghetsfond.bpmn: ogiltig XML")
    with pytest.raises(InvalidInput) as refused:
        deploy_files(session, versions.versions, {"trygghetsfond.bpmn": b"\xff\xfe<"},
                     versions.operations, actor_id=None)
    assert refused.value.errors["filer"] == ["trygghetsfond.bpmn: filen är inte text i UTF-8"]
    with pytest.raises(InvalidInput) as refused:
        deploy(session, versions, {"ny-uischema.json": "{}"})
    assert "ny-uischema.json" in refused.value.errors["filer"][0]


def test_a_second_worker_starts_on_the_new_version_without_a_restart(
        database_url, session, versions, demo):
    other = make_test_app(database_url, CATALOGUE_RECHECK_SECONDS=0)
    try:
        other_engine = other.extensions["engine"]
        with other.extensions["sessions"]() as other_session:
            before = submitted_application(other_session, other_engine)
            assert other_engine.current_catalogue(other_session).processes[
                "trygghetsfond"].name == "Trygghetsfonden"
        [(version, _)] = deploy(session, versions, {"trygghetsfond.bpmn": BPMN_2})
        with other.extensions["sessions"]() as other_session:
            assert other_engine.current_catalogue(other_session).processes[
                "trygghetsfond"].name == "Trygghetsfonden 2"
            after = submitted_application(other_session, other_engine)
            assert instance_of(other_session, after).process_version_id == version.id
            assert instance_of(other_session, before).process_version_id != version.id
            complete(other_session, other_engine, after, "formell_kontroll",
                     {"kontroll_utfall": "komplett"}, "handlaggare")
            assert open_task_names(other_session, after) == ["tilldela_bedomare"]
    finally:
        other.extensions["db_engine"].dispose()


def test_the_catalogue_is_rechecked_after_its_interval(database_url, session, versions, demo):
    other = make_test_app(database_url, CATALOGUE_RECHECK_SECONDS=3600)
    try:
        other_engine = other.extensions["engine"]
        with other.extensions["sessions"]() as other_session:
            assert other_engine.current_catalogue(other_session).processes[
                "trygghetsfond"].name == "Trygghetsfonden"
        deploy(session, versions, {"trygghetsfond.bpmn": BPMN_2})
        with other.extensions["sessions"]() as other_session:
            # Pages trust the list for the interval; starting a case always asks the database.
            assert other_engine.current_catalogue(other_session).processes[
                "trygghetsfond"].name == "Trygghetsfonden"
            other_engine.versions.recheck_seconds = 0
            assert other_engine.current_catalogue(other_session).processes[
                "trygghetsfond"].name == "Trygghetsfonden 2"
    finally:
        other.extensions["db_engine"].dispose()


def test_a_case_moves_to_a_new_version_and_goes_on_with_a_fresh_engine(session, engine, demo):
    application = submitted_application(session, engine)
    source = instance_of(session, application).process_version_id
    renamed = BPMN_2.replace('<bpmn:userTask id="formell_kontroll" name="Formell kontroll">',
                             '<bpmn:userTask id="formell_kontroll" name="Formell granskning">')
    [(target, _)] = deploy(session, engine, {"trygghetsfond.bpmn": renamed})
    result = move_instances(session, engine, source, target.id, actor_id=None)
    session.commit()
    assert result.moved == [application.process_instance_id] and result.refused == {}
    assert instance_of(session, application).process_version_id == target.id
    # The open task is the same task (its id, its row), under its new name.
    assert open_task(session, application, "formell_kontroll").title == "Formell granskning"
    complete(session, engine, application, "formell_kontroll", {"kontroll_utfall": "komplett"},
             "handlaggare")
    complete(session, engine, application, "tilldela_bedomare",
             {"valda_bedomare": ["bedomare", "bedomare2"], "bedomning_frist": "2030-01-31"},
             "handlaggare")
    assert open_task_names(session, application) == ["bedomning", "bedomning"]
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "instance_migrated")).one()
    assert event.process_instance_id == application.process_instance_id


def start_steps(session, engine) -> tuple[int, int]:
    """Deploy the process a → b and start a case waiting in a; return (version, instance)."""
    [(version, _)] = deploy(session, engine, {"steg.bpmn": two_steps("a", "b"),
                                              "enkel-schema.json": ENKEL})
    instance = engine.start_instance(session, "steg", actor_id=None)
    session.commit()
    return version.id, instance.id


def open_steps(session, instance_id: int) -> list[HumanTask]:
    session.expire_all()
    return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.completed_at.is_(None))).all()


def test_a_case_whose_open_task_is_not_in_the_target_is_not_moved(session, engine, demo):
    source, instance_id = start_steps(session, engine)
    [(target, _)] = deploy(session, engine, {"steg.bpmn": two_steps("b", name="Bara b")})
    result = move_instances(session, engine, source, target.id, actor_id=None)
    session.commit()
    assert result.moved == []
    assert result.refused == {instance_id: (
        f"Steget 'Steg a' (a) är öppen i ärendet men finns inte i version {target.id}.")}
    session.expire_all()
    assert session.get(ProcessInstance, instance_id).process_version_id == source
    [task] = open_steps(session, instance_id)
    engine.complete_task(session, task.id, {"anteckning": "klar"}, actor_id=None)
    session.commit()
    assert [t.task_name for t in open_steps(session, instance_id)] == ["b"]
    # Past a, the case has run a step the target lacks: it stays too.
    result = move_instances(session, engine, source, target.id, actor_id=None)
    assert result.refused[instance_id] == (
        f"Steget 'Steg a' (a) har redan körts i ärendet men finns inte i version {target.id}.")


def test_a_case_moves_where_its_steps_exist_in_the_target(session, engine, demo):
    source, instance_id = start_steps(session, engine)
    [(target, _)] = deploy(session, engine, {"steg.bpmn": two_steps("a", "x", "b")})
    result = move_instances(session, engine, source, target.id, actor_id=None)
    session.commit()
    assert result.moved == [instance_id]
    for expected in ("x", "b"):
        [task] = open_steps(session, instance_id)
        engine.complete_task(session, task.id, {}, actor_id=None)
        session.commit()
        assert [t.task_name for t in open_steps(session, instance_id)] == [expected]


def test_deploy_and_move_from_the_command_line(app, runner, session, versions, demo, tmp_path):
    application = submitted_application(session, versions)
    source = instance_of(session, application).process_version_id
    (tmp_path / "trygghetsfond.bpmn").write_text(BPMN_2, encoding="utf-8")
    (tmp_path / "formell-kontroll-schema.json").write_text(CHECK_FORM_2, encoding="utf-8")
    files = [str(tmp_path / "trygghetsfond.bpmn"), str(tmp_path / "formell-kontroll-schema.json")]
    result = runner.invoke(args=["processes", "deploy", *files])
    assert result.exit_code == 0, result.output
    target = newest_version(session)
    assert target.id != source and f"Ny version {target.id}: trygghetsfond" in result.output
    again = runner.invoke(args=["processes", "deploy", *files])
    assert again.exit_code == 0 and f"Oförändrad, redan {target.id}" in again.output
    listing = runner.invoke(args=["processes", "versions"])
    assert f"* {target.id:>4} trygghetsfond" in listing.output
    moved = runner.invoke(args=["processes", "move", "--from", str(source), "--to",
                                str(target.id)])
    assert moved.exit_code == 0, moved.output
    assert "1 ärenden flyttade" in moved.output
    assert instance_of(session, application).process_version_id == target.id


def test_a_refused_file_from_the_command_line(runner, session, versions, demo):
    bad = str(FIXTURES / "processes" / "unknown_operation.bpmn")
    result = runner.invoke(args=["processes", "deploy", bad])
    assert result.exit_code == 1
    assert ("FEL: unknown_operation.bpmn: unknown_operation/okand_tjanst: operationen "
            "'finns_inte' är inte registrerad") in result.output
    assert session.scalars(select(ProcessVersion.process_id)).all().count("unknown_operation") == 0


def upload(client, files: dict[str, str]):
    data = {"csrf_token": csrf_token(client, "/admin/processer"),
            "filer": [(io.BytesIO(text.encode()), name) for name, text in files.items()]}
    return client.post("/admin/processer/driftsatt", data=data,
                       content_type="multipart/form-data")


def test_deploy_and_move_on_the_admin_page(app, client, session, versions, demo):
    application = submitted_application(session, versions)
    source = instance_of(session, application).process_version_id
    login(client, "admin")
    response = upload(client, {"trygghetsfond.bpmn": BPMN_2,
                               "formell-kontroll-schema.json": CHECK_FORM_2})
    assert response.status_code == 302
    target = newest_version(session)
    assert target.name == "Trygghetsfonden 2"
    page = client.get("/admin/processer").get_data(as_text=True)
    assert f"Ny version {target.id} av trygghetsfond är driftsatt" in page
    token = csrf_token(client, "/admin/processer")
    response = client.post(f"/admin/processer/{source}/flytta",
                           data={"csrf_token": token, "till": str(target.id)})
    assert response.status_code == 302
    assert instance_of(session, application).process_version_id == target.id
    # The case goes on through its task page, on the form of its new version.
    officer = app.test_client()
    login(officer, "handlaggare")
    task = open_task(session, application, "formell_kontroll")
    assert "Utfall (version 2)" in officer.get(f"/uppgifter/{task.id}").get_data(as_text=True)


def test_a_refused_upload_and_a_refused_move_on_the_admin_page(client, session, versions, demo):
    application = submitted_application(session, versions)
    source = instance_of(session, application).process_version_id
    login(client, "admin")
    bad = (FIXTURES / "processes" / "unknown_operation.bpmn").read_text(encoding="utf-8")
    response = upload(client, {"unknown_operation.bpmn": bad})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "operationen &#39;finns_inte&#39; är inte registrerad" in page
    assert session.scalars(select(ProcessVersion.process_id).where(
        ProcessVersion.process_id == "unknown_operation")).all() == []
    steps_version, instance_id = start_steps(session, versions)
    assert upload(client, {"steg.bpmn": two_steps("b")}).status_code == 302
    target = newest_version(session)
    token = csrf_token(client, "/admin/processer")
    response = client.post(f"/admin/processer/{steps_version}/flytta",
                           data={"csrf_token": token, "till": str(target.id)})
    assert response.status_code == 409
    assert "Steget &#39;Steg a&#39; (a) är öppen i ärendet men finns inte" in response.get_data(
        as_text=True)
    session.expire_all()
    assert session.get(ProcessInstance, instance_id).process_version_id == steps_version
    response = client.post(f"/admin/processer/{steps_version}/flytta",
                           data={"csrf_token": token, "till": str(source)})
    assert response.status_code == 422
    assert "Ärenden kan bara flyttas mellan versioner av samma process." in response.get_data(
        as_text=True)
    response = client.post(f"/admin/processer/{source}/flytta",
                           data={"csrf_token": token, "till": "x"})
    assert response.status_code == 422
    assert "Välj versionen ärendena ska flyttas till." in response.get_data(as_text=True)
    assert session.scalars(select(HumanTask.task_name).where(
        HumanTask.instance_id == application.process_instance_id,
        HumanTask.completed_at.is_(None))).all() == ["formell_kontroll"]


def test_a_case_page_shows_the_forms_of_its_own_version(app, client, session, versions, demo):
    old = submitted_application(session, versions)
    form = (ROOT / "forms" / "ansokan-schema.json").read_text(encoding="utf-8")
    deploy(session, versions, {"trygghetsfond.bpmn": BPMN_2, "ansokan-schema.json":
                               form.replace('"Insatsens namn"', '"Insatsens namn (v2)"')})
    new = submitted_application(session, versions)
    login(client, "handlaggare")
    old_page = client.get(f"/ansokningar/{old.id}").get_data(as_text=True)
    new_page = client.get(f"/ansokningar/{new.id}").get_data(as_text=True)
    assert "Insatsens namn" in old_page and "Insatsens namn (v2)" not in old_page
    assert "Insatsens namn (v2)" in new_page


def test_a_case_in_review_moves_and_its_reviews_complete(session, engine, demo):
    application = submitted_application(session, engine)
    to_review(session, engine, application)
    source = instance_of(session, application).process_version_id
    [(target, _)] = deploy(session, engine, {"trygghetsfond.bpmn": BPMN_2})
    result = move_instances(session, engine, source, target.id, actor_id=None)
    session.commit()
    assert result.moved == [application.process_instance_id], result.refused
    review_all(session, engine, application)
    assert open_task_names(session, application) == ["beredning"]
    instance = instance_of(session, application)
    assert instance.process_version_id == target.id
    assert sorted(b["bedomare"] for b in instance.data["bedomningar"]) == [
        "bedomare", "bedomare2"]
