"""Process deployment: versions checked whole and stored, the current catalogue read from the
database by version (so every worker sees a new version without a restart)."""

import json
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from app.audit import record_event
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.specs import (
    Catalogue,
    ProcessDefinition,
    build_definitions,
    check_catalogue,
    load_catalogue,
)
from app.errors import InvalidInput, NotFound, ProcessDefinitionError
from app.forms import FormDefinition

FORM_SUFFIXES = ("-schema.json", "-uischema.json")
# Definitions and forms rebuilt from stored versions, by content hash (a version never changes).
_DEFINITIONS: dict[str, ProcessDefinition] = {}
_FORMS: dict[str, dict[str, FormDefinition]] = {}


class Versions:
    """The catalogue of current processes: the newest stored version of each, re-read from the
    database at most every `recheck_seconds` with one small query. Files read at start-up
    whose content is not stored yet count as the newest version (they are stored on first
    use, as at start-up)."""

    def __init__(self, files: Catalogue, recheck_seconds: float = 2.0):
        self.files = files
        self.recheck_seconds = recheck_seconds
        self._key: tuple | None = None
        self._catalogue: Catalogue | None = None
        self._checked_at = 0.0

    def forget(self) -> None:
        """Re-read the versions at the next use (after a deployment in this process)."""
        self._key = None
        self._catalogue = None

    def catalogue(self, session: Session) -> Catalogue:
        """Return the current catalogue, re-checking the stored versions when due."""
        now = time.monotonic()
        if self._catalogue is not None and now - self._checked_at < self.recheck_seconds:
            return self._catalogue
        file_hashes = [d.content_hash for d in self.files.processes.values()]
        newest = select(func.max(ProcessVersion.id)).group_by(ProcessVersion.process_id)
        rows = session.execute(
            select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.content_hash)
            .where(or_(ProcessVersion.id.in_(newest),
                       ProcessVersion.content_hash.in_(file_hashes)))).all()
        key = tuple(sorted(tuple(row) for row in rows))
        if key != self._key or self._catalogue is None:
            self._catalogue, self._key = self._build(session, rows), key
        self._checked_at = now
        return self._catalogue

    def current_version(self, session: Session, process_id: str) -> ProcessVersion:
        """Return the version new cases of a process start on (one query), storing the file
        version first when its content is new."""
        definition = self.files.processes.get(process_id)
        newest = (select(func.max(ProcessVersion.id))
                  .where(ProcessVersion.process_id == process_id).scalar_subquery())
        wanted = ProcessVersion.id == newest
        if definition is not None:
            wanted = or_(wanted, ProcessVersion.content_hash == definition.content_hash)
        rows = session.scalars(select(ProcessVersion).where(wanted)).all()
        if definition is not None and definition.content_hash not in {
                row.content_hash for row in rows}:
            return store_definition(session, definition, actor_id=None)[0]
        if not rows:
            raise NotFound(f"Processen '{process_id}' finns inte.")
        return max(rows, key=lambda row: row.id)

    def forms_of(self, session: Session, version: ProcessVersion) -> dict[str, FormDefinition]:
        """Return the forms a version carries (the start-up files' for versions without)."""
        return _forms_of(session, version.id, version.content_hash) or self.files.forms

    def _build(self, session: Session, rows) -> Catalogue:
        newest: dict[str, tuple] = {}
        for row in rows:
            if row.process_id not in newest or row.id > newest[row.process_id].id:
                newest[row.process_id] = row
        processes, forms = {}, dict(self.files.forms)
        for process_id, row in sorted(newest.items()):
            file_definition = self.files.processes.get(process_id)
            if file_definition is not None and file_definition.content_hash == row.content_hash:
                processes[process_id] = file_definition
            else:
                processes[process_id] = _definition_of(session, row.id, row.content_hash)
                forms.update(_forms_of(session, row.id, row.content_hash) or {})
        stored = {row.content_hash for row in rows}
        processes.update({pid: d for pid, d in self.files.processes.items()
                          if d.content_hash not in stored})  # stored at their first use
        return Catalogue(processes=processes, forms=forms)


def _forms_of(session: Session, version_id: int, content_hash: str
              ) -> dict[str, FormDefinition] | None:
    if content_hash not in _FORMS:
        stored = session.scalar(select(ProcessVersion.forms)
                                .where(ProcessVersion.id == version_id))
        _FORMS[content_hash] = ({name: FormDefinition(name, form["schema"], form.get("uischema"))
                                 for name, form in stored.items()} if stored else None)
    return _FORMS[content_hash]


def _definition_of(session: Session, version_id: int, content_hash: str) -> ProcessDefinition:
    if content_hash not in _DEFINITIONS:
        version = session.scalars(select(ProcessVersion).where(ProcessVersion.id == version_id)
                                  .options(undefer(ProcessVersion.sources))).one()
        definition = build_definitions(version.sources)[version.process_id]
        definition.forms = version.forms or {}
        definition.content_hash = content_hash  # as stored (older versions hash no forms)
        _DEFINITIONS[content_hash] = definition
    return _DEFINITIONS[content_hash]


def store_definition(session: Session, definition: ProcessDefinition, *,
                     actor_id: int | None) -> tuple[ProcessVersion, bool]:
    """Store a process definition as a new version unless its content is stored already;
    return (version, whether it is new). A new version is audited."""
    query = select(ProcessVersion).where(ProcessVersion.content_hash == definition.content_hash)
    version = session.scalars(query).first()
    if version is not None:
        return version, False
    version = ProcessVersion(process_id=definition.process_id, name=definition.name,
                             content_hash=definition.content_hash, sources=definition.sources,
                             forms=definition.forms or None)
    try:
        with session.begin_nested():
            session.add(version)
    except IntegrityError:  # stored by a concurrent request a moment ago
        return session.scalars(query).one(), False
    record_event(session, "process_deployed",
                 f"Processversion driftsatt: {definition.name}", actor_id=actor_id,
                 details={"process": definition.process_id,
                          "version": definition.content_hash[:12], "id": version.id})
    return version, True


def deploy_files(session: Session, versions: Versions, files: dict[str, bytes], operations: dict,
                 *, actor_id: int | None, checks: tuple = ()) -> list[tuple[ProcessVersion, bool]]:
    """Check uploaded BPMN/DMN and form files together with the current catalogue (the check
    of start-up) and store a new version of every process they change. Raise InvalidInput
    listing every problem (file, element) when the catalogue with them is not consistent."""
    _check_names(files)
    catalogue = versions.catalogue(session)
    with tempfile.TemporaryDirectory(prefix="tf-deploy-") as folder:
        processes_dir, forms_dir = Path(folder, "processes"), Path(folder, "forms")
        _write_catalogue(catalogue, processes_dir, forms_dir)
        for name, content in files.items():
            target = forms_dir if name.endswith(".json") else processes_dir
            (target / name).write_bytes(content)
        try:
            candidate = load_catalogue(processes_dir, forms_dir)
        except ProcessDefinitionError as err:
            raise InvalidInput("Processen kan inte driftsättas.",
                               {"filer": err.message.splitlines()}) from err
    problems = check_catalogue(candidate, operations, checks)
    if problems:
        raise InvalidInput("Processen kan inte driftsättas.", {"filer": problems})
    touched = [d for d in candidate.processes.values()
               if set(files) & (set(d.sources) | {f"{n}{s}" for n in d.forms
                                                  for s in FORM_SUFFIXES})]
    if not touched:
        raise InvalidInput("Filerna ändrar ingen process.",
                           {"filer": ["Ladda upp en BPMN-fil (och formulären den använder)."]})
    for definition in versions.files.processes.values():  # current until now: store first
        if catalogue.processes.get(definition.process_id) is definition:
            store_definition(session, definition, actor_id=None)
    results = [store_definition(session, d, actor_id=actor_id) for d in touched]
    versions.forget()
    return results


def _check_names(files: dict[str, bytes]) -> None:
    bad = [name for name in files if "/" in name or "\\" in name or name.startswith(".")
           or not name.endswith((".bpmn", ".dmn", *FORM_SUFFIXES))]
    if bad or not files:
        raise InvalidInput("Filerna kan inte driftsättas.", {"filer": [
            f"{name}: endast .bpmn, .dmn, NAMN-schema.json och NAMN-uischema.json"
            for name in bad] or ["Välj minst en BPMN-fil."]})
    not_text = [name for name, content in files.items() if not _is_utf8(content)]
    if not_text:
        raise InvalidInput("Filerna kan inte driftsättas.", {"filer": [
            f"{name}: filen är inte text i UTF-8" for name in not_text]})


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _write_catalogue(catalogue: Catalogue, processes_dir: Path, forms_dir: Path) -> None:
    processes_dir.mkdir()
    forms_dir.mkdir()
    for definition in catalogue.processes.values():
        for name, text in definition.sources.items():
            (processes_dir / name).write_text(text, encoding="utf-8")
    for name, form in catalogue.forms.items():
        (forms_dir / f"{name}-schema.json").write_text(json.dumps(form.schema), encoding="utf-8")
        if form.uischema:
            (forms_dir / f"{name}-uischema.json").write_text(json.dumps(form.uischema),
                                                            encoding="utf-8")


def version_overview(session: Session) -> list[tuple[ProcessVersion, int, int]]:
    """Return every stored version, newest first per process, with its running and all cases."""
    counts = {(row.process_version_id, row.status): row.n for row in session.execute(
        select(ProcessInstance.process_version_id, ProcessInstance.status,
               func.count().label("n"))
        .group_by(ProcessInstance.process_version_id, ProcessInstance.status))}
    versions = session.scalars(select(ProcessVersion).order_by(
        ProcessVersion.process_id, ProcessVersion.id.desc())).all()
    return [(v, counts.get((v.id, "running"), 0),
             sum(n for (vid, _status), n in counts.items() if vid == v.id)) for v in versions]
