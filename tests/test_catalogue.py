"""The process catalogue: XSD validation at load, and the whole-catalogue consistency check."""

import json
import shutil
from pathlib import Path

import pytest

from app.config import ROOT
from app.engine.specs import check_catalogue, load_catalogue
from app.errors import ProcessDefinitionError
from app.grants.operations import SERVICE_OPERATIONS
from tests.conftest import FIXTURES


def catalogue_dir(tmp_path: Path, *process_files: str) -> tuple[Path, Path]:
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    processes.mkdir()
    forms.mkdir()
    shutil.copy(FIXTURES / "forms" / "enkel-schema.json", forms)
    for name in process_files:
        shutil.copy(FIXTURES / "processes" / name, processes)
    return processes, forms


def test_the_real_catalogue_is_consistent():
    catalogue = load_catalogue(ROOT / "processes", ROOT / "forms")
    assert "trygghetsfond" in catalogue.processes
    assert check_catalogue(catalogue, SERVICE_OPERATIONS) == []


def test_invalid_bpmn_stops_loading_naming_file_and_problem(tmp_path):
    processes, forms = catalogue_dir(tmp_path, "not_xsd_valid.bpmn")
    with pytest.raises(ProcessDefinitionError) as err:
        load_catalogue(processes, forms)
    assert "not_xsd_valid.bpmn" in err.value.message
    assert "rad" in err.value.message  # the line of the offending element


def test_broken_xml_is_reported(tmp_path):
    processes, forms = catalogue_dir(tmp_path)
    (processes / "trasig.bpmn").write_text("<definitions><process", encoding="utf-8")
    with pytest.raises(ProcessDefinitionError, match=r"trasig\.bpmn: ogiltig XML"):
        load_catalogue(processes, forms)


def test_app_start_up_stops_on_invalid_process(tmp_path):
    from app import create_app

    processes, forms = catalogue_dir(tmp_path, "not_xsd_valid.bpmn")
    with pytest.raises(SystemExit) as err:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "PROCESSES_DIR": str(processes),
                    "FORMS_DIR": str(forms), "ENVIRONMENT": "development"})
    assert "not_xsd_valid.bpmn" in str(err.value)


@pytest.mark.parametrize(("fixture", "expected"), [
    ("unknown_form.bpmn", "formuläret 'finns-inte' finns inte"),
    ("unknown_operation.bpmn", "operationen 'finns_inte' är inte registrerad"),
    ("unknown_lane.bpmn", "simbanan 'Trollkarl' motsvarar ingen roll"),
    ("evil_condition.bpmn", "villkoret nekas"),
    ("evil_subclasses.bpmn", "villkoret nekas"),
])
def test_check_finds_each_kind_of_problem(tmp_path, fixture, expected):
    processes, forms = catalogue_dir(tmp_path, fixture)
    problems = check_catalogue(load_catalogue(processes, forms), SERVICE_OPERATIONS)
    assert any(expected in p for p in problems), problems
    assert all(fixture in p or "forms/" in p for p in problems)


def test_check_finds_unused_form(tmp_path):
    processes, forms = catalogue_dir(tmp_path, "timer_process.bpmn")
    shutil.copy(FIXTURES / "forms" / "enkel-schema.json", forms / "oanvand-schema.json")
    problems = check_catalogue(load_catalogue(processes, forms), SERVICE_OPERATIONS)
    assert problems == ["forms/oanvand-schema.json: formuläret används inte av någon process"]


def test_cli_check_exit_codes(tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path}/cli.db")
    result = app.test_cli_runner().invoke(args=["processes", "check"])
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output
    processes, forms = catalogue_dir(tmp_path, "unknown_operation.bpmn", "unknown_lane.bpmn")
    app.config.update(PROCESSES_DIR=str(processes), FORMS_DIR=str(forms))
    result = app.test_cli_runner().invoke(args=["processes", "check"])
    assert result.exit_code == 1
    assert "finns_inte" in result.output and "Trollkarl" in result.output


def test_the_conformance_catalogue_is_consistent():
    from tests.conformance import conformance_catalogue

    operations = {"kontrollera_behorighet": None}
    assert check_catalogue(conformance_catalogue(), operations) == []


@pytest.mark.parametrize(("fixture", "element", "expected"), [
    ("interrupting_event_subprocess.bpmn", "aterkallelse_del",
     "händelsedelprocesser stöds inte: i SpiffWorkflow 3.2.0 en avbrytande händelsedelprocess "
     "avbryter inte huvudflödet"),
    ("message_event_subprocess.bpmn", "fraga_del", "ändrar den delade processdefinitionen"),
    ("timer_event_subprocess.bpmn", "paminn_del", "hindrar ärendet från att avslutas"),
    ("link_event.bpmn", "hoppa", "länkhändelser stöds inte"),
    ("noninterrupting_error.bpmn", "fel_vid_sidan", "gränshändelse för fel måste vara avbrytande"),
    ("conditional_event.bpmn", "nar_klar", "villkorshändelser stöds inte"),
    ("bad_timers.bpmn", "cykel_som_varaktighet", "'R3/PT1H' är inte en varaktighet (P…)"),
    ("bad_timers.bpmn", "trettonde_manaden", "är inte en tidpunkt enligt ISO 8601"),
    ("bad_timers.bpmn", "citerad_fel", "'P2Q' är inte en varaktighet"),
    ("bad_timers.bpmn", "farlig", "timeruttrycket nekas"),
])
def test_check_refuses_what_spiffworkflow_3_2_cannot_run(tmp_path, fixture, element, expected):
    processes, forms = catalogue_dir(tmp_path, fixture)
    problems = check_catalogue(load_catalogue(processes, forms), SERVICE_OPERATIONS)
    process_id = fixture.removesuffix(".bpmn")
    assert any(p.startswith(f"{fixture}: {process_id}/{element}: ") and expected in p
               for p in problems), problems


def test_iso_timer_literals_pass_the_check(tmp_path):
    processes, forms = catalogue_dir(tmp_path, "bad_timers.bpmn")
    problems = check_catalogue(load_catalogue(processes, forms), SERVICE_OPERATIONS)
    assert not any("bad_timers/bra:" in p for p in problems)  # PT2S, as Camunda writes it


@pytest.mark.parametrize(("fixtures", "expected"), [
    (["compensation.bpmn"], "compensation.bpmn: compensation/angra: kompensation stöds inte"),
    (["duplicate_subprocess_a.bpmn", "duplicate_subprocess_b.bpmn"],
     "id:t 'handlaggning' används redan av en process eller delprocess i en annan fil"),
])
def test_files_spiffworkflow_cannot_parse_get_a_swedish_reason(tmp_path, fixtures, expected):
    processes, forms = catalogue_dir(tmp_path, *fixtures)
    with pytest.raises(ProcessDefinitionError) as err:
        load_catalogue(processes, forms)
    assert expected in err.value.message


def check_cli(tmp_path, *fixtures):
    from tests.conftest import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path}/cli.db")
    processes, forms = catalogue_dir(tmp_path, *fixtures)
    app.config.update(PROCESSES_DIR=str(processes), FORMS_DIR=str(forms))
    result = app.test_cli_runner().invoke(args=["processes", "check"])
    app.extensions["db_engine"].dispose()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a message, no crash
    return [line.removeprefix("FEL: ") for line in result.output.splitlines()
            if line.startswith("FEL: ")]


def test_cli_explains_a_process_without_lanes_and_forms(tmp_path):
    problems = check_cli(tmp_path, "no_lanes.bpmn")
    assert any(p.startswith("no_lanes.bpmn: no_lanes/utan_formular: användaruppgiften anger "
                            "inget formulär (ange det med spiffworkflow:property "
                            "formJsonSchemaFilename") for p in problems), problems
    assert any("no_lanes/utan_formular: uppgiften ligger inte i någon simbana; lägg den i en "
               "simbana som heter som en roll (Sökande, Handläggare" in p for p in problems)


def test_cli_explains_a_lane_that_maps_to_no_role(tmp_path):
    problems = check_cli(tmp_path, "unknown_lane.bpmn")
    assert any("simbanan 'Trollkarl' motsvarar ingen roll (rollerna är Sökande" in p
               for p in problems), problems


def test_cli_explains_a_camunda_file_line_by_line(tmp_path):
    problems = check_cli(tmp_path, "camunda_process.bpmn")
    where = "camunda_process.bpmn: Process_camunda_ansokan/"
    for element, expected in [
        ("Activity_granska", "Camunda-formulär (camunda:formKey/formRef) stöds inte"),
        ("Activity_registrera", "Camunda-implementationen (camunda:class) stöds inte"),
        ("Flow_stort", "uttrycket '${belopp > 100000}' är JUEL/FEEL (Camunda)"),
        ("Activity_berakna", "skriptspråket 'javascript' stöds inte"),
    ]:
        assert any(p.startswith(f"{where}{element}: {expected}") for p in problems), problems


@pytest.mark.parametrize(("field", "bound", "expected"), [
    ("beslut_motivering", "maxLength",
     "forms/beslut-schema.json: egenskapen 'beslut_motivering': en text behöver \"maxLength\""),
    ("beviljat_belopp", "maximum",
     "forms/beslut-schema.json: egenskapen 'beviljat_belopp': ett tal behöver \"maximum\""),
])
def test_the_check_refuses_a_free_text_or_an_amount_without_a_bound(tmp_path, field, bound,
                                                                      expected):
    shutil.copytree(ROOT / "processes", tmp_path / "processes")
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    path = tmp_path / "forms" / "beslut-schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    del schema["properties"][field][bound]
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")

    problems = check_catalogue(load_catalogue(tmp_path / "processes", tmp_path / "forms"),
                               SERVICE_OPERATIONS)

    assert [p for p in problems if "behöver" in p] == [
        expected + (" (högst antal tecken)" if bound == "maxLength" else " (största värde)")]
