"""The process catalogue: parse processes/*.bpmn and *.dmn with XSD validation, check it whole."""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.mixins.service_task import ServiceTask

from app.accounts.roles import ROLES, role_for_lane
from app.engine.scripting import (
    ScriptRefused,
    compile_expression,
    compile_script,
    compile_timer,
    timer_definitions,
)
from app.engine.serializer import restorable_specs
from app.engine.unsupported import unsupported_constructs
from app.errors import ProcessDefinitionError
from app.forms import LANGUAGES as FORM_LANGUAGES
from app.forms import FormDefinition, FormFileError, check_definition
from app.forms import load_catalogue as load_form_catalogue
from app.forms.languages import language_name

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# The spiffworkflow property holding an element's name in another language (name:en).
NAME_PROPERTY = "name:{lang}"
# The spiffworkflow property holding a task's instructionsForEndUser in another language.
INSTRUCTIONS_PROPERTY = "instructions:{lang}"
INSTRUCTIONS = "instructionsForEndUser"


@dataclass
class ProcessDefinition:
    """One executable process: its spec and the source files it was parsed from."""

    process_id: str
    name: str
    filename: str
    sources: dict[str, str]
    spec: object
    subprocess_specs: dict
    # Form name → {"schema": …, "uischema": …} of every form its user tasks name.
    forms: dict[str, dict] = field(default_factory=dict)
    content_hash: str = field(init=False)

    def __post_init__(self):
        content = {"sources": self.sources, "forms": self.forms} if self.forms else self.sources
        self.content_hash = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def with_forms(self, forms: dict[str, FormDefinition]) -> "ProcessDefinition":
        """Return the definition carrying the forms its user tasks name (part of its hash)."""
        names = {form_name_of(spec) for spec in _all_task_specs(self)} & set(forms)
        used = {name: {"schema": forms[name].schema, "uischema": forms[name].uischema}
                for name in sorted(names)}
        return ProcessDefinition(self.process_id, self.name, self.filename, self.sources,
                                 self.spec, self.subprocess_specs, used)


@dataclass
class Catalogue:
    processes: dict[str, ProcessDefinition]
    forms: dict[str, FormDefinition]
    _names: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def names_in(self, lang: str) -> dict[str, str]:
        """Return the Swedish names users see (tasks, end events) → their names in `lang`."""
        if lang not in self._names:
            self._names[lang] = {
                spec.bpmn_name: name
                for definition in self.processes.values()
                for spec in shown_by_name(definition)
                if (name := name_in(spec, lang))}
        return self._names[lang]


@dataclass(frozen=True)
class Element:
    """A process element as the domain reads its declarations: its spiffworkflow properties,
    the form a user task shows and the message a catch event waits for."""

    element_id: str
    name: str
    properties: dict
    user_task: bool
    form: str | None = None
    message: str | None = None
    lane: str | None = None
    # The variable a message catch event stores the message's payload in.
    message_variable: str | None = None


def elements_of(spec, subprocess_specs: dict) -> list[Element]:
    """Return the user tasks and message catch events of a process and its subprocesses."""
    specs = [*spec.task_specs.values(),
             *(s for sub in subprocess_specs.values() for s in sub.task_specs.values())]
    elements = []
    for task_spec in specs:
        event = getattr(task_spec, "event_definition", None)
        message = event.name if isinstance(event, MessageEventDefinition) else None
        user_task = isinstance(task_spec, UserTask)
        if user_task or message:
            properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            elements.append(Element(task_spec.bpmn_id, task_spec.bpmn_name or "",
                                    dict(properties), user_task, form_name_of(task_spec),
                                    message, task_spec.lane,
                                    getattr(event, "message_var", None) if message else None))
    return elements


def instructions_in(task_spec, lang: str | None = None) -> str | None:
    """Return a task's instructions for users (instructionsForEndUser), in `lang` when it has
    them there (the spiffworkflow property `instructions:<lang>`), else in Swedish."""
    extensions = getattr(task_spec, "extensions", None) or {}
    if lang:
        translated = extensions.get("properties", {}).get(INSTRUCTIONS_PROPERTY.format(lang=lang))
        if translated and translated.strip():
            return translated
    return extensions.get(INSTRUCTIONS)


def name_in(task_spec, lang: str) -> str | None:
    """Return an element's name in `lang` (its spiffworkflow property `name:<lang>`)."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return (properties.get(NAME_PROPERTY.format(lang=lang)) or "").strip() or None


def shown_by_name(definition: "ProcessDefinition"):
    """Yield the named elements users see by name: user tasks (a task's title) and the end
    events of the process itself (a finished case's status)."""
    for spec in _all_task_specs(definition):
        if spec.bpmn_name and (isinstance(spec, UserTask) or (
                isinstance(spec, EndEvent) and spec in definition.spec.task_specs.values())):
            yield spec


def form_name_of(task_spec) -> str | None:
    """Return the form a user task names (`ansokan-schema.json` → `ansokan`)."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    filename = properties.get("formJsonSchemaFilename")
    if not filename:
        return None
    return filename.removesuffix(".json").removesuffix("-schema")


def parse_sources(sources: dict[str, str], validate: bool = True) -> SpiffBpmnParser:
    """Parse BPMN/DMN texts (file name → text); raise ProcessDefinitionError naming the file."""
    parser = SpiffBpmnParser(validator=VALIDATOR if validate else None)
    for filename, text in sorted(sources.items()):
        try:
            tree = etree.fromstring(text.encode())
        except etree.XMLSyntaxError as err:
            raise ProcessDefinitionError(f"{filename}: ogiltig XML: {err}") from err
        try:
            if filename.endswith(".dmn"):
                parser.add_dmn_xml(tree, filename=filename)
            else:
                parser.add_bpmn_xml(tree, filename=filename)
        except ValidationException as err:
            raise _definition_error(err, filename, text) from err
    return parser


def build_definitions(sources_by_file: dict[str, str]) -> dict[str, ProcessDefinition]:
    """Parse the catalogue as a whole (a call activity may name a process in another file);
    each executable process keeps the files it runs with: its own, those of the processes it
    calls, and every DMN file."""
    parser = parse_sources(sources_by_file)
    definitions: dict[str, ProcessDefinition] = {}
    for filename, text in sorted(sources_by_file.items()):
        if filename.endswith(".bpmn"):
            for process_id in _executable_ids(text):
                definitions[process_id] = definition_from_parser(
                    parser, process_id, filename, sources_by_file)
    return definitions


def definition_from_parser(parser, process_id, filename, sources_by_file) -> ProcessDefinition:
    """Build one ProcessDefinition from a parser that has read the whole catalogue."""
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except (ValidationException, SpiffWorkflowException) as err:
        raise _definition_error(err, filename, sources_by_file[filename]) from err
    files = {filename} | {parser.get_process_parser(name).filename for name in subprocess_specs}
    sources = {name: text for name, text in sources_by_file.items()
               if name in files or name.endswith(".dmn")}
    spec, subprocess_specs = restorable_specs(spec, subprocess_specs)
    name = getattr(spec, "description", None) or process_id
    return ProcessDefinition(process_id, name, filename, sources, spec, subprocess_specs)


def specs_of_version(sources: dict[str, str], process_id: str) -> tuple:
    """Return (spec, subprocess specs) of a stored version, as a new worker sees them."""
    parser = parse_sources(sources, validate=False)
    return restorable_specs(parser.get_spec(process_id), parser.get_subprocess_specs(process_id))


def load_catalogue(processes_dir: Path, forms_dir: Path) -> Catalogue:
    """Load every process and form file; raise ProcessDefinitionError on the first bad file."""
    files = sorted(Path(processes_dir).glob("*.bpmn")) + sorted(Path(processes_dir).glob("*.dmn"))
    sources = {path.name: path.read_text(encoding="utf-8") for path in files}
    try:
        forms = load_form_catalogue(Path(forms_dir))
    except FormFileError as err:
        raise ProcessDefinitionError(str(err)) from err
    processes = {pid: definition.with_forms(forms)
                 for pid, definition in build_definitions(sources).items()}
    return Catalogue(processes=processes, forms=forms)


def check_catalogue(catalogue: Catalogue, operations: dict,
                    checks: Sequence[Callable[[Catalogue], list[str]]] = ()) -> list[str]:
    """Return every consistency problem of the catalogue (empty when all is well); `checks`
    are the domain's own (e.g. the declarations its processes must carry)."""
    problems: list[str] = [problem for check in checks for problem in check(catalogue)]
    used_forms: set[str] = set()
    files = {}
    for definition in catalogue.processes.values():
        files.update(definition.sources)
    for filename, text in sorted(files.items()):
        if filename.endswith(".bpmn"):
            problems += unsupported_constructs(filename, text)
    for definition in catalogue.processes.values():
        for task_spec in _all_task_specs(definition):
            where = f"{definition.filename}: {definition.process_id}/{task_spec.bpmn_id}"
            problems += _check_task(task_spec, where, catalogue, operations, used_forms)
        problems += _check_names(definition)
    for name, form in sorted(catalogue.forms.items()):
        problems += [f"forms/{name}-schema.json: {p}"
                     for p in check_definition(form, languages=FORM_LANGUAGES)]
        if name not in used_forms:
            problems.append(f"forms/{name}-schema.json: formuläret används inte av någon process")
    return problems


def _check_names(definition: ProcessDefinition) -> list[str]:
    """Every name users see (tasks, end events) needs its name in the other languages, and
    every task's instructions their translation."""
    problems = [f"{definition.filename}: {definition.process_id}/{spec.bpmn_id}: "
                f"'{spec.bpmn_name}' saknar namn på {language_name(lang)} "
                f"(spiffworkflow-egenskapen {NAME_PROPERTY.format(lang=lang)})"
                for spec in shown_by_name(definition) for lang in FORM_LANGUAGES
                if name_in(spec, lang) is None]
    problems += [f"{definition.filename}: {definition.process_id}/{spec.bpmn_id}: "
                 f"instruktionerna saknar översättning till {language_name(lang)} "
                 f"(spiffworkflow-egenskapen {INSTRUCTIONS_PROPERTY.format(lang=lang)})"
                 for spec in _all_task_specs(definition) for lang in FORM_LANGUAGES
                 if instructions_in(spec) and instructions_in(spec, lang) == instructions_in(spec)]
    return problems


def _check_task(task_spec, where, catalogue, operations, used_forms) -> list[str]:
    problems = []
    if isinstance(task_spec, UserTask):
        form = form_name_of(task_spec)
        if form is None:
            problems.append(f"{where}: användaruppgiften anger inget formulär (ange det med "
                            "spiffworkflow:property formJsonSchemaFilename, t.ex. "
                            "'ansokan-schema.json')")
        elif form not in catalogue.forms:
            problems.append(f"{where}: formuläret '{form}' finns inte i forms/")
        else:
            used_forms.add(form)
    if getattr(task_spec, "manual", False) and role_for_lane(task_spec.lane) is None:
        problems.append(f"{where}: {_lane_problem(task_spec.lane)}")
    if isinstance(task_spec, ServiceTask) and task_spec.operation_name not in operations:
        problems.append(f"{where}: operationen '{task_spec.operation_name}' är inte registrerad")
    for label, code, compiler in _expressions(task_spec):
        try:
            compiler(code)
        except (ScriptRefused, SyntaxError) as err:
            problems.append(f"{where}: {label} nekas: {err}")
    return problems


def _lane_problem(lane: str | None) -> str:
    roles = ", ".join(ROLES.values())
    if lane is None:
        return ("uppgiften ligger inte i någon simbana; lägg den i en simbana som heter som en "
                f"roll ({roles})")
    return f"simbanan '{lane}' motsvarar ingen roll (rollerna är {roles})"


def _expressions(task_spec):
    """Yield (label, code, compiler) for every script, condition and timer of a task spec."""
    if isinstance(task_spec, ScriptTask):
        yield "skriptet", task_spec.script, compile_script
    for attr in ("prescript", "postscript"):
        code = getattr(task_spec, attr, None)
        if code:
            yield attr, code, compile_script
    if isinstance(task_spec, ExclusiveGateway | InclusiveGateway):
        for condition, _target in getattr(task_spec, "cond_task_specs", []):
            args = getattr(condition, "args", None) or [condition]
            if isinstance(args[0], str) and args[0]:
                yield "villkoret", args[0], compile_expression
    if isinstance(task_spec, LoopTask) and task_spec.condition:
        yield "loopvillkoret", task_spec.condition, compile_expression
    for timer in timer_definitions(task_spec):
        yield "timeruttrycket", timer, compile_timer


def _all_task_specs(definition: ProcessDefinition):
    yield from definition.spec.task_specs.values()
    for sub in definition.subprocess_specs.values():
        yield from sub.task_specs.values()


def _executable_ids(text: str) -> list[str]:
    root = etree.fromstring(text.encode())
    return [
        node.get("id")
        for node in root.iter(f"{{{BPMN_NS}}}process")
        if node.get("isExecutable", "false") == "true"
    ]


def _definition_error(err: Exception, filename: str, text: str) -> ProcessDefinitionError:
    """Explain a file SpiffWorkflow cannot parse: an unsupported construct or a clash of ids
    in Swedish when we know it, else SpiffWorkflow's own words with file, line and element."""
    known = unsupported_constructs(filename, text) if filename.endswith(".bpmn") else []
    if "Duplicate process ID" in str(err):
        element = getattr(err, "id", "") or str(err).split(":")[-1].strip(" .")
        known.append(f"{filename}: id:t '{element}' används redan av en process eller "
                     "delprocess i en annan fil; processer och delprocesser parsas som en "
                     "helhet, så deras id måste vara unika i hela katalogen")
    return ProcessDefinitionError("\n".join(known) if known else _describe(err, filename))


def _describe(err: Exception, filename: str) -> str:
    parts = [getattr(err, "file_name", None) or filename]
    line = getattr(err, "line_number", "")
    if line:
        parts.append(f"rad {line}")
    element = " ".join(x for x in (getattr(err, "tag", ""), getattr(err, "id", "")) if x)
    if element:
        parts.append(f"elementet {element}")
    return ": ".join([", ".join(parts), str(err).splitlines()[0] if str(err) else repr(err)])
