"""The process catalogue: XSD validation at load, and the whole-catalogue consistency check."""

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
                    "FORMS_DIR": str(forms)})
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
