"""Conformance: gateways behave on our engine (saved and reloaded between steps) as in bare
SpiffWorkflow."""

import pytest

from tests.conformance import Complete, Message, Scenario, Wait, run_scenario


@pytest.mark.parametrize(("val", "resultat", "slut"), [("ja", "bifall", "slut_ja"),
                                                       ("nej", "avslag", "slut_nej")])
def test_exclusive_gateway(sessions, val, resultat, slut):
    final = run_scenario(sessions, Scenario("exclusive_gateway", [Complete("valj", {"val": val})]))
    assert final["completed"] and slut in final["completed_tasks"]
    assert final["data"]["resultat"] == resultat


def test_parallel_gateway(sessions):
    final = run_scenario(sessions, Scenario("parallel_gateway", [
        Complete("b", {"betyg": 4}), Complete("a", {"anteckning": "ok"})]))
    assert final["data"]["sammanfattning"] == "ok / 4"
    assert {"a", "b", "samla", "summera"} <= set(final["completed_tasks"])


@pytest.mark.parametrize(("answer", "taken"), [
    ({"godkand": True, "extra": True}, {"ekonomi", "jurist"}),
    ({"godkand": False, "extra": True}, {"jurist"}),
    ({"godkand": False, "extra": False}, {"arkiv"}),
])
def test_inclusive_gateway(sessions, answer, taken):
    final = run_scenario(sessions, Scenario("inclusive_gateway", [Complete("valj", answer)]))
    assert final["completed"]
    assert set(final["completed_tasks"]) & {"ekonomi", "jurist", "arkiv"} == taken


def test_event_gateway_message_wins(sessions):
    final = run_scenario(sessions, Scenario("event_gateway", [
        Message("svar_inkom", {"utfall": "bifall"}), Wait(hours=2)], data={"svarstid": "PT1H"}))
    assert final["data"]["utfall"] == "bifall"
    assert "tiden_ute" not in final["completed_tasks"]


def test_event_gateway_timer_wins(sessions):
    final = run_scenario(sessions, Scenario("event_gateway", [Wait(hours=2)],
                                            data={"svarstid": "PT1H"}))
    assert final["completed"] and final["data"]["utfall"] == "inget svar"
    assert "svar" not in final["completed_tasks"]
