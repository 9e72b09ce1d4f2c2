"""Conformance: activities (subprocesses, call activities, loops, scripts, manual tasks, data)
behave on our engine, saved and reloaded between steps, as in bare SpiffWorkflow."""

from sqlalchemy import select

from app.engine.models import ProcessInstance, ProcessVersion
from tests.conformance import Complete, Scenario, conformance_catalogue, run_scenario


def test_embedded_subprocess(sessions):
    final = run_scenario(sessions, Scenario("embedded_subprocess", [
        Complete("granska", {"betyg": 3})]))
    assert final["completed"] and final["data"]["klart"] == 31
    assert {"delprocess", "granska", "notera", "efter"} <= set(final["completed_tasks"])


def test_call_activity_to_a_process_in_another_file(sessions):
    final = run_scenario(sessions, Scenario("call_activity", [Complete("steg", {"betyg": 5})]))
    assert final["completed"] and final["data"]["fyrdubbelt"] == 20
    assert {"anropa", "steg", "berakna", "efter"} <= set(final["completed_tasks"])


def bpmn_files(sources: dict) -> list[str]:
    return sorted(name for name in sources if name.endswith(".bpmn"))  # (and every DMN file)


def test_a_call_activitys_version_stores_the_called_file(sessions):
    definition = conformance_catalogue().processes["call_activity"]
    assert bpmn_files(definition.sources) == ["call_activity.bpmn", "called_process.bpmn"]
    run_scenario(sessions, Scenario("call_activity", [Complete("steg", {"betyg": 1})]))
    with sessions() as session:
        instance = session.scalars(select(ProcessInstance)).one()
        version = session.get(ProcessVersion, instance.process_version_id)
        assert bpmn_files(version.sources) == ["call_activity.bpmn", "called_process.bpmn"]


def test_script_task(sessions):
    final = run_scenario(sessions, Scenario("script_task", [], data={"belopp": [100, 250, 50]}))
    assert final["data"] | {"belopp": None} == {
        "belopp": None, "summa": 400, "storst": 250, "moms": 100.0, "rader": [500]}


def test_manual_task(sessions):
    final = run_scenario(sessions, Scenario("manual_task", [Complete("skicka_papper")]))
    assert final["completed"] and final["data"] == {"papper_skickade": True}


def test_sequential_multi_instance(sessions):
    final = run_scenario(sessions, Scenario("multi_instance_sequential", [
        Complete("granska", {"betyg": 4}, where={"granskare_namn": "anna"}),
        Complete("granska", {"betyg": 2}, where={"granskare_namn": "bo"}),
    ], data={"granskare": ["anna", "bo"]}))
    assert final["data"]["betygen"] == [4, 2] and final["data"]["summa"] == 6


def test_parallel_multi_instance(sessions):
    final = run_scenario(sessions, Scenario("multi_instance_parallel", [
        Complete("granska", {"betyg": 1}, where={"granskare_namn": "cai"}),
        Complete("granska", {"betyg": 5}, where={"granskare_namn": "anna"}),
        Complete("granska", {"betyg": 3}, where={"granskare_namn": "bo"}),
    ], data={"granskare": ["anna", "bo", "cai"]}))
    # SpiffWorkflow collects the outputs in the order the instances were completed
    assert final["data"]["betygen"] == [1, 5, 3] and final["data"]["summa"] == 9


def test_standard_loop(sessions):
    final = run_scenario(sessions, Scenario("standard_loop", [
        Complete("forsok", {"godkand": False}), Complete("forsok", {"godkand": False}),
        Complete("forsok", {"godkand": True})]))
    assert final["completed"]
    assert final["completed_tasks"].count("forsok") == 4  # the loop task and its 3 rounds


def test_data_objects_and_io_specification(sessions):
    final = run_scenario(sessions, Scenario("data_objects", [
        Complete("fyll", {"underlag": "fem ord i ett underlag"})]))
    assert final["completed"]
    assert final["data"]["data_objects"] == {"underlag": "fem ord i ett underlag"}
    assert final["data"]["dubbel_langd"] == 44 and "skrap" not in final["data"]


def test_business_rule_task_with_a_decision_table_in_its_own_file(sessions):
    small = run_scenario(sessions, Scenario("business_rule", [], data={"belopp": 50_000}))
    large = run_scenario(sessions, Scenario("business_rule", [], data={"belopp": 500_000}))
    assert (small["data"]["niva"], large["data"]["niva"]) == ("delegat", "nämnd")
