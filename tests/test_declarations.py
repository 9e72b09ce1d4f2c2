"""Declarations: what a process and its forms tell the grant domain, read once per version,
and the catalogue check refusing a process that lacks one (naming file and element)."""

import json
import shutil
from pathlib import Path

import pytest

from app.config import ROOT
from app.engine.specs import check_catalogue, load_catalogue
from app.grants.declaration_checks import declaration_problems
from app.grants.declarations import catalogue_declarations
from app.grants.operations import SERVICE_OPERATIONS


def copy_catalogue(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(ROOT / "processes", tmp_path / "processes")
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    return tmp_path / "processes", tmp_path / "forms"


def problems_of(processes: Path, forms: Path) -> list[str]:
    return check_catalogue(load_catalogue(processes, forms), SERVICE_OPERATIONS,
                           (declaration_problems,))


def edit_schema(forms: Path, name: str, change) -> None:
    path = forms / f"{name}-schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")


def test_the_shipped_catalogue_declares_everything_the_domain_needs():
    assert problems_of(ROOT / "processes", ROOT / "forms") == []


def test_the_reader_answers_steps_messages_fields_and_outcomes():
    catalogue = load_catalogue(ROOT / "processes", ROOT / "forms")
    decl = catalogue_declarations(catalogue)["trygghetsfond"]
    application = decl.tasks_of("application")
    assert len(application) == 1 and decl.step_of(application[0]) == "application"
    assert decl.step_of("no-such-task") is None
    assert len(decl.tasks_of("decision")) == 2  # the delegate's and the board's
    assert decl.message("withdrawal") and decl.message("payout_done")
    title = decl.field("title").path[0]
    assert decl.value("title", {title: "Trygga parker"}) == "Trygga parker"
    assert decl.value("title", {}, "–") == "–"
    contact = decl.field("contact_email").path
    assert len(contact) == 2  # nested in the contact object
    assert decl.value("contact_email", {contact[0]: {contact[1]: "a@b.se"}}) == "a@b.se"
    granted = decl.outcome_value("decision_outcome", "granted")
    data = {decl.field("decision_outcome").path[0]: granted}
    assert decl.outcome("decision_outcome", data) == "granted"
    assert decl.outcome("decision_outcome", {}) is None
    tranche = decl.field("tranche_amount").path  # relative to the plan's item
    assert decl.value("tranche_amount", {tranche[0]: 500}) == 500


def test_the_structure_is_frozen():
    catalogue = load_catalogue(ROOT / "processes", ROOT / "forms")
    decl = catalogue_declarations(catalogue)["trygghetsfond"]
    with pytest.raises(AttributeError):
        decl.steps = {}
    with pytest.raises(TypeError):
        decl.steps["x"] = "application"


def test_a_process_without_an_application_step_is_refused_naming_file_and_process(tmp_path):
    processes, forms = copy_catalogue(tmp_path)
    bpmn = processes / "trygghetsfond.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    bpmn.write_text(text.replace('name="grant:step" value="application"',
                                 'name="grant:stepp" value="application"'), encoding="utf-8")
    problems = problems_of(processes, forms)
    assert problems == ["trygghetsfond.bpmn: trygghetsfond: ingen användaruppgift har "
                        "grant:step 'application' (ange spiffworkflow:property "
                        "name=\"grant:step\" value=\"application\" på den uppgiften)"]


def test_an_unknown_step_or_message_is_refused_naming_the_element(tmp_path):
    processes, forms = copy_catalogue(tmp_path)
    bpmn = processes / "trygghetsfond.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    text = text.replace('value="report_review"', 'value="granskning"')
    text = text.replace('value="payout_done"', 'value="utbetald"')
    bpmn.write_text(text, encoding="utf-8")
    problems = problems_of(processes, forms)
    assert len(problems) == 2, problems
    assert all(p.startswith("trygghetsfond.bpmn: trygghetsfond/") for p in problems)
    assert any("grant:step 'granskning'" in p for p in problems)
    assert any("grant:message 'utbetald'" in p for p in problems)


def test_a_decision_form_without_its_amount_is_refused_naming_form_and_task(tmp_path):
    processes, forms = copy_catalogue(tmp_path)

    def drop_amount(schema):
        for node in schema["properties"].values():
            if node.get("x-grant") == "decision_amount":
                del node["x-grant"]

    edit_schema(forms, "beslut", drop_amount)
    problems = problems_of(processes, forms)
    assert len(problems) == 1, problems
    assert problems[0].startswith("trygghetsfond.bpmn: trygghetsfond/")
    assert "forms/beslut-schema.json saknar ett fält med \"x-grant\": \"decision_amount\"" \
        in problems[0]


def test_unknown_meanings_and_outcomes_are_refused_naming_form_and_field(tmp_path):
    processes, forms = copy_catalogue(tmp_path)

    def break_outcomes(schema):
        for name, node in schema["properties"].items():
            if node.get("x-grant") == "decision_outcome":
                node["x-grant-outcomes"] = {"bifall": "beviljat", "finns_inte": "rejected"}
                outcome_field = name
            if node.get("x-grant") == "decision_motivation":
                node["x-grant"] = "motivation"
        schema["x-outcome-field"] = outcome_field

    edit_schema(forms, "beslut", break_outcomes)
    field = json.loads((forms / "beslut-schema.json").read_text())["x-outcome-field"]
    problems = [p for p in problems_of(processes, forms) if "forms/beslut-schema.json:" in p]
    assert f"forms/beslut-schema.json: fältet {field}: \"x-grant-outcomes\" anger " \
           "'finns_inte' som inte är ett av fältets val" in problems
    assert any("'beviljat' är okänt" in p for p in problems)
    assert any("\"x-grant\": \"motivation\" är okänt" in p for p in problems)


def test_the_engine_tests_catalogue_is_checked_without_the_grant_declarations():
    """The check is the domain's: engine fixtures and conformance processes need none."""
    catalogue = load_catalogue(ROOT / "processes", ROOT / "forms")
    assert check_catalogue(catalogue, SERVICE_OPERATIONS) == []


def test_a_meaning_on_the_form_of_another_step_is_refused(tmp_path):
    processes, forms = copy_catalogue(tmp_path)

    def misplace(schema):
        plain = next(node for node in schema["properties"].values() if "x-grant" not in node)
        plain["x-grant"] = "used_amount"

    edit_schema(forms, "beslut", misplace)
    problems = problems_of(processes, forms)
    assert problems and all("\"x-grant\": \"used_amount\" hör till report, inte till "
                            "grant:step 'decision'" in p for p in problems), problems
    assert all(p.startswith("trygghetsfond.bpmn: trygghetsfond/") for p in problems)
