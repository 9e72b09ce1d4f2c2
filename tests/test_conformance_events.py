"""Conformance: events (errors, timers, messages, signals, escalation) behave on our engine,
saved and reloaded between steps, as in bare SpiffWorkflow."""

import pytest

from app.errors import BpmnError
from tests.conformance import Complete, Message, Scenario, Signal, Wait, run_scenario


@pytest.mark.parametrize(("godkand", "beslut", "slut"), [(True, "bifall", "slut"),
                                                         (False, "avslag", "slut_avslag")])
def test_error_end_event_in_subprocess_is_caught_by_boundary(sessions, godkand, beslut, slut):
    final = run_scenario(sessions, Scenario("error_end_subprocess", [
        Complete("bedom", {"godkand": godkand})]))
    assert final["completed"] and final["data"]["beslut"] == beslut
    assert slut in final["completed_tasks"]


def check_eligibility(ctx, data):
    if data["belopp"] > 100_000:
        raise BpmnError("ej_behorig", "Beloppet är för stort", {"skal": "över taket"})
    return {"ok": True}


@pytest.mark.parametrize(("belopp", "utfall", "slut"), [
    (5_000, "godtagen", "slut"), (500_000, "avvisad: över taket", "slut_avvisad")])
def test_bpmn_error_from_a_service_task_is_caught_by_its_boundary(sessions, belopp, utfall,
                                                                  slut):
    final = run_scenario(sessions, Scenario(
        "service_error", [], data={"belopp": belopp},
        operations={"kontrollera_behorighet": check_eligibility}))
    assert final["completed"] and final["data"]["utfall"] == utfall
    assert slut in final["completed_tasks"]


def test_interrupting_boundary_timer_written_as_iso_text(sessions):
    final = run_scenario(sessions, Scenario("boundary_timer_interrupting", [Wait(seconds=3)]))
    assert final["completed"] and final["data"]["utfall"] == "för sent"
    assert "vanta" not in final["completed_tasks"]


def test_interrupting_boundary_timer_not_yet_due(sessions):
    final = run_scenario(sessions, Scenario("boundary_timer_interrupting", [
        Wait(seconds=1), Complete("vanta", {"anteckning": "hann"})]))
    assert final["completed"] and final["data"]["utfall"] == "i tid"


def test_non_interrupting_boundary_timer(sessions):
    final = run_scenario(sessions, Scenario("boundary_timer_noninterrupting", [
        Wait(days=15), Complete("arbeta", {"anteckning": "klart"})]))
    assert final["completed"] and final["data"]["pamind"] is True
    assert {"paminn", "klar"} <= set(final["completed_tasks"])


def test_cycle_timer_written_as_iso_text(sessions):
    final = run_scenario(sessions, Scenario("boundary_timer_cycle", [
        Wait(hours=1.1), Wait(hours=1), Complete("arbeta", {"anteckning": "klart"})]))
    assert final["completed"]
    assert final["completed_tasks"].count("paminn") == 2


def test_timer_on_an_iso_date_time(sessions):
    final = run_scenario(sessions, Scenario("timer_date", [Wait(days=1), Wait(days=40_000)]))
    assert final["completed"] and final["data"] == {"vantat": True}


def test_message_catch(sessions):
    final = run_scenario(sessions, Scenario("message_catch", [
        Message("beslut_fattat", {"utfall": "bifall"})]))
    assert final["completed"] and final["data"]["utfall"] == "bifall"


def test_signal_thrown_and_caught_inside_the_process(sessions):
    final = run_scenario(sessions, Scenario("signal_internal", [
        Complete("klarmarkera", {"anteckning": "klart"})]))
    assert final["completed"] and final["data"]["signal_mottagen"] is True


def test_signal_sent_from_outside(sessions):
    final = run_scenario(sessions, Scenario("signal_external", [
        Signal("namnden_har_sammantratt")]))
    assert final["completed"] and final["data"] == {"sammantratt": True}


def test_escalation_from_a_subprocess(sessions):
    final = run_scenario(sessions, Scenario("escalation", [
        Complete("arbeta", {"anteckning": "klart"})]))
    assert final["completed"] and final["data"]["chef_informerad"] is True
    assert {"till_chef", "informera", "arbeta"} <= set(final["completed_tasks"])



def test_interrupting_boundary_message_cancels_a_subprocess(sessions):
    final = run_scenario(sessions, Scenario("boundary_message", [
        Complete("granska", {"betyg": 2}), Message("aterkalla", {"skal": "flyttar"})]))
    assert final["completed"] and final["data"]["utfall"] == "återkallad: flyttar"
    assert "utreda" not in final["completed_tasks"] and "beslut" not in final["completed_tasks"]


def test_boundary_message_not_sent(sessions):
    final = run_scenario(sessions, Scenario("boundary_message", [
        Complete("utreda", {"anteckning": "ok"}), Complete("granska", {"betyg": 2})]))
    assert final["completed"] and final["data"]["utfall"] == "beslutad"
