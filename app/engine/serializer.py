"""Workflow state as JSON without the embedded process spec (stored once per version)."""

import json
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leave the spec out of the state; restore it from the caller's parsed spec."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Forms produce JSON-native data, but scripts may create dates and Decimals.
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _make_serializer()


def restorable_specs(spec, subprocess_specs: dict) -> tuple:
    """Return the specs as the serializer itself restores them.

    A spec parsed from BPMN is not yet the spec a saved state needs: multi-instance and loop
    tasks tie themselves to their child task specs only when a child is first created, or when
    a serialized spec is restored. Every spec the engine runs passes through here, so a state
    loaded in a new process (a restart, another worker) behaves exactly as the one that saved
    it.
    """
    registry = _SERIALIZER.registry
    return (registry.restore(registry.convert(spec)),
            {name: registry.restore(registry.convert(sub))
             for name, sub in subprocess_specs.items()})


def dump_state(workflow: BpmnWorkflow) -> str:
    """Return the workflow's state as JSON, without its spec."""
    return _SERIALIZER.serialize_json(workflow)


def load_state(state: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    """Restore a workflow from its state and the spec of the version it runs."""
    dct = json.loads(state)
    _SERIALIZER.migrate(dct)
    return _SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)


def json_native(data: dict) -> dict:
    """Return task data as plain JSON (dates and Decimals as strings)."""
    return json.loads(json.dumps(data, default=str))


def spec_registry():
    """Return the serializer's converter registry (SpiffWorkflow's spec diff compares specs
    through it)."""
    return _SERIALIZER.registry
