"""processes/ and the bpmn.io tools: bpmnlint's recommended rules find no error, and a process
saved by the bpmn-js modeler (real headless Chromium) still loads, checks and runs."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select

from app.config import ROOT
from app.demo import load_demo
from app.engine.models import HumanTask, ProcessInstance
from app.engine.specs import check_catalogue, load_catalogue
from app.formatting import local_today
from app.grants.operations import SERVICE_OPERATIONS
from tests.browser import require
from tests.conftest import make_test_app, wipe
from tests.factories import (
    complete,
    open_task_names,
    proposal_data,
    review_all,
    submitted_application,
    to_review,
)

PROCESSES = ROOT / "processes"
PROCESS_FILES = sorted(PROCESSES.glob("*.bpmn"))
BPMNLINT = ROOT / "node_modules" / ".bin" / "bpmnlint"
MODELER_JS = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-modeler.development.js"

# Import one BPMN text into a fresh modeler and save it again, as a person clicking Save would.
ROUND_TRIP_JS = """async (xml) => {
  const modeler = new BpmnJS({ container: '#canvas' });
  try {
    const { warnings } = await modeler.importXML(xml);
    const { xml: saved } = await modeler.saveXML({ format: true });
    return { warnings: warnings.map(w => w.message), xml: saved };
  } finally {
    modeler.destroy();
  }
}"""


def run_bpmnlint(*files: Path) -> subprocess.CompletedProcess:
    require(BPMNLINT, "bpmnlint", "run `make node-modules` (npm ci)")
    return subprocess.run([str(BPMNLINT), "--config", str(ROOT / ".bpmnlintrc"), *map(str, files)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def error_count(result: subprocess.CompletedProcess) -> int:
    """Return the errors bpmnlint's summary line counts (no summary: no problem at all)."""
    match = re.search(r"\((\d+) errors?, \d+ warnings?\)", result.stdout)
    return int(match.group(1)) if match else 0


def test_bpmnlint_recommended_finds_no_error_in_processes():
    assert PROCESS_FILES
    result = run_bpmnlint(*PROCESS_FILES)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert error_count(result) == 0, report
    assert not re.search(r"^\s*\S*\s+error\s", result.stdout, re.MULTILINE), report


def test_bpmnlint_reports_an_unnamed_end_event(tmp_path):
    text = (PROCESSES / "trygghetsfond.bpmn").read_text(encoding="utf-8")
    unnamed = tmp_path / "unnamed.bpmn"
    unnamed.write_text(text.replace('<bpmn:endEvent id="avslag" name="Avslag">',
                                    '<bpmn:endEvent id="avslag">'), encoding="utf-8")
    result = run_bpmnlint(unnamed)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"avslag\s+error\s+Element is missing label/name\s+label-required",
                     result.stdout), result.stdout


@pytest.fixture(scope="module")
def saved_processes(tmp_path_factory, chromium):
    """Every processes/*.bpmn imported into the bpmn-js Modeler in headless Chromium and saved
    into a new processes dir (DMN files copied as they are); returns (dir, import warnings)."""
    require(MODELER_JS, "bpmn-js", "run `make node-modules` (npm ci)")
    target = tmp_path_factory.mktemp("modeler") / "processes"
    target.mkdir()
    for dmn in PROCESSES.glob("*.dmn"):
        shutil.copy(dmn, target)
    warnings, requests, errors = {}, [], []
    page = chromium.new_page()
    try:
        page.set_default_timeout(30_000)
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_content('<!doctype html><meta charset="utf-8">'
                         '<div id="canvas" style="width: 1600px; height: 900px"></div>')
        page.add_script_tag(path=str(MODELER_JS))
        for path in PROCESS_FILES:
            result = page.evaluate(ROUND_TRIP_JS, path.read_text(encoding="utf-8"))
            warnings[path.name] = result["warnings"]
            (target / path.name).write_text(result["xml"], encoding="utf-8")
    finally:
        page.close()
    assert errors == [], errors
    assert requests == [], f"the modeler page fetched from the network: {requests}"
    return target, warnings


def spec_json(definition) -> dict:
    """The process spec as SpiffWorkflow's serializer writes it: everything the engine runs."""
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    return {"spec": registry.convert(definition.spec),
            "subprocesses": {name: registry.convert(sub)
                             for name, sub in definition.subprocess_specs.items()}}


@pytest.mark.browser
def test_modeler_round_trip_keeps_every_process(saved_processes):
    saved_dir, warnings = saved_processes
    assert warnings == {path.name: [] for path in PROCESS_FILES}
    shipped = load_catalogue(PROCESSES, ROOT / "forms")
    saved = load_catalogue(saved_dir, ROOT / "forms")
    assert check_catalogue(saved, SERVICE_OPERATIONS) == []
    assert sorted(saved.processes) == sorted(shipped.processes)
    for process_id, definition in shipped.processes.items():
        assert spec_json(saved.processes[process_id]) == spec_json(definition), process_id
    lint = run_bpmnlint(*sorted(saved_dir.glob("*.bpmn")))
    assert error_count(lint) == 0, lint.stdout


@pytest.fixture
def saved_app(database_url, saved_processes):
    """An app whose catalogue is the modeler's saved processes; its rows are deleted after."""
    app = make_test_app(database_url, PROCESSES_DIR=str(saved_processes[0]))
    yield app
    wipe(app.extensions["db_engine"])
    app.extensions["db_engine"].dispose()


@pytest.mark.browser
def test_process_saved_by_the_modeler_runs_past_the_review(saved_app, saved_processes):
    engine = saved_app.extensions["engine"]
    with saved_app.extensions["read_sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
        application = submitted_application(session, engine)
        to_review(session, engine, application, reviewers=("bedomare", "bedomare2"))
        reviews = session.scalars(select(HumanTask.assignee).where(
            HumanTask.instance_id == application.process_instance_id,
            HumanTask.task_name == "bedomning", HumanTask.completed_at.is_(None)))
        assert sorted(reviews) == ["bedomare", "bedomare2"]
        review_all(session, engine, application)
        assert open_task_names(session, application) == ["beredning"]
        complete(session, engine, application, "beredning", proposal_data("bifall", 250000),
                 "handlaggare")
        assert open_task_names(session, application) == ["namndbeslut"]
        instance = session.get(ProcessInstance, application.process_instance_id)
        assert sorted(b["bedomare"] for b in instance.data["bedomningar"]) == [
            "bedomare", "bedomare2"]
        assert instance.data["giltiga_bedomningar"] == 2
        saved_text = (saved_processes[0] / "trygghetsfond.bpmn").read_text(encoding="utf-8")
        assert instance.process_version.sources["trygghetsfond.bpmn"] == saved_text
