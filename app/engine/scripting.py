"""The restricted environment every BPMN script, condition, timer and DMN cell runs in.

SpiffWorkflow's default environment is plain eval/exec: a gateway condition could import `os`.
Here every expression is compiled by RestrictedPython (dunder names and attributes are refused
at compile time) and runs with a small allow-list of builtins and helpers.
"""

import ast
import datetime as _dt
import json
import operator
import re
from decimal import Decimal
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.errors import BpmnError, DomainError
from app.formatting import local_today

_UNSAFE_BUILTINS = {"setattr", "delattr", "__build_class__", "id", "hash"}

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
}


def _inplacevar(op: str, target, value):
    if op not in _INPLACE:
        raise ScriptRefused(f"operatorn {op} är inte tillåten")
    return _INPLACE[op](target, value)


def _builtins() -> dict:
    allowed = {k: v for k, v in safe_builtins.items() if k not in _UNSAFE_BUILTINS}
    allowed.update(
        sum=sum, min=min, max=max, any=any, all=all, sorted=sorted, list=list, dict=dict,
        set=set, tuple=tuple, enumerate=enumerate, zip=zip, reversed=reversed, map=map,
        filter=filter,
    )
    return allowed


HELPERS = {
    "Decimal": Decimal,
    "date": _dt.date,
    "datetime": _dt.datetime,
    "timedelta": _dt.timedelta,
    "today": local_today,
}

_GUARDS = {
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
}


class ScriptRefused(Exception):
    """RestrictedPython refused an expression or script."""


class BpmnErrorCaught(WorkflowTaskException):
    """An operation's BPMN error was caught by a boundary event on its task: the task stops (in
    ERROR) and the engine goes on along the boundary event's flow."""


# ISO 8601 as the Camunda modeler writes timer bodies: a duration (PT2S), a repeating cycle
# (R3/PT1H) or a date-time. SpiffWorkflow evaluates timer bodies as Python, where these fail.
_DURATION = r"P(?=[\dT])(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?"
_DATE_TIME = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
_CYCLE = rf"R\d*/({_DURATION}|{_DATE_TIME})(/({_DURATION}|{_DATE_TIME}))?"
_ISO_TIMER = re.compile(rf"{_DURATION}|{_DATE_TIME}|{_CYCLE}", re.IGNORECASE)


def iso_timer_literal(text: str) -> str | None:
    """Return a timer body written as a plain ISO 8601 literal, else None (an expression)."""
    text = (text or "").strip()
    return text if _ISO_TIMER.fullmatch(text) else None


def timer_definitions(task_spec) -> list:
    """Return the timer event definitions of a task spec (also inside a multiple event)."""
    event = getattr(task_spec, "event_definition", None)
    candidates = [event, *getattr(event, "event_definitions", [])]
    return [t for t in candidates if isinstance(t, TimerEventDefinition)]


def _is_timer_body(task, expression: str) -> bool:
    return any(t.expression == expression for t in timer_definitions(task.task_spec))


def compile_timer(timer) -> None:
    """Check a timer body: an ISO 8601 literal (bare or quoted) must parse as the kind of timer
    it is; anything else must compile as a restricted expression. Raise ScriptRefused."""
    literal = iso_timer_literal(timer.expression) or _string_constant(timer.expression)
    if literal is None:
        compile_expression(timer.expression)
        return
    if isinstance(timer, CycleTimerEventDefinition):
        kind, form = "en upprepning (R…/…)", _CYCLE
        parse = TimerEventDefinition.parse_iso_recurring_interval
    elif isinstance(timer, DurationTimerEventDefinition):
        kind, form = "en varaktighet (P…)", _DURATION
        parse = TimerEventDefinition.parse_iso_duration
    else:
        kind, form = "en tidpunkt", _DATE_TIME
        parse = TimerEventDefinition.parse_time_or_duration
    try:
        if not re.fullmatch(form, literal, re.IGNORECASE):
            raise ValueError(literal)
        parse(literal)
    except Exception as err:
        raise ScriptRefused(f"'{literal}' är inte {kind} enligt ISO 8601") from err


def _string_constant(expression: str) -> str | None:
    try:
        value = ast.literal_eval((expression or "").strip())
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


@lru_cache(maxsize=2048)
def compile_expression(expression: str):
    """Compile an expression in restricted mode, or raise ScriptRefused."""
    result = compile_restricted_eval(expression.strip())
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=512)
def compile_script(script: str):
    """Compile a script in restricted mode, or raise ScriptRefused."""
    result = compile_restricted_exec(script)
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    return result.code


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate and execute on task data with RestrictedPython's guards."""

    def __init__(self):
        super().__init__(dict(HELPERS))
        self._base = {"__builtins__": _builtins(), **_GUARDS}

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        scope = {**self._base, **self.globals, **(external_context or {}), **context}
        return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython above

    def execute(self, script, context, external_context=None):
        code = compile_script(script)
        injected = {**self._base, **self.globals, **(external_context or {})}
        clashes = set(injected).intersection(context)
        if clashes:
            raise ScriptRefused(f"data skuggar inbyggda namn: {sorted(clashes)}")
        scope = {**injected, **context}
        exec(code, scope)  # noqa: S102 - compiled by RestrictedPython above
        for key, value in scope.items():
            if key in injected or callable(value) or key.startswith("_"):
                continue
            context[key] = value
        for key in [k for k in context if k not in scope]:
            del context[key]
        return True


class ProcessScriptEngine(PythonScriptEngine):
    """The script engine of one engine run: restricted scripts, service tasks by name."""

    def __init__(self, operations: dict, context=None):
        super().__init__(environment=RestrictedEnvironment())
        self.operations = operations
        self.context = context

    def validate(self, expression):
        compile_expression(expression)

    def evaluate(self, task, expression, external_context=None):
        """Evaluate an expression; a timer body that is an ISO 8601 literal is its own value."""
        literal = iso_timer_literal(expression)
        if literal is not None and _is_timer_body(task, expression):
            return literal
        return super().evaluate(task, expression, external_context)

    def call_service(self, task, operation_name=None, operation_params=None, **_kwargs):
        operation = self.operations.get(operation_name)
        if operation is None:
            raise WorkflowTaskException(f"Okänd operation '{operation_name}'", task=task)
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            result = operation(self.context, task.data, **params)
        except DomainError:
            raise  # a rule of the domain (e.g. no budget left): the user's error, not an incident
        except BpmnError as err:
            throw_bpmn_error(task, operation_name, err)
        except Exception as err:
            raise WorkflowTaskException(
                f"Operationen '{operation_name}' misslyckades: {err}", task=task, exception=err
            ) from err
        return json.dumps(result or {}, default=str)


def throw_bpmn_error(task, operation_name: str, err: BpmnError) -> None:
    """Throw an operation's BPMN error to the boundary error events of its task; raise
    BpmnErrorCaught when one catches it, else a WorkflowTaskException (an incident)."""
    event = BpmnEvent(ErrorEventDefinition(err.code, code=err.code), payload=err.details,
                      target=task.workflow)
    boundaries = [t for t in (task.parent.children if task.parent else [])
                  if isinstance(t.task_spec, BoundaryEvent) and t.state == TaskState.WAITING
                  and t.task_spec.catches(t, event)]
    if not boundaries:
        raise WorkflowTaskException(
            f"Operationen '{operation_name}' gav BPMN-felet '{err.code}' ({err.message}), men "
            "ingen gränshändelse på uppgiften fångar det", task=task, exception=err)
    # What the event manager does for a caught event, for this task's boundary alone (its
    # catch() would also fire error boundaries elsewhere in the same (sub)process).
    boundary = boundaries[0]
    boundary.task_spec.catch(boundary, event)
    boundary.task_spec._update(boundary)
    raise BpmnErrorCaught(f"BPMN-felet '{err.code}' fångades", task=task, exception=err)
