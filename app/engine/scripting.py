"""The restricted environment every BPMN script, condition, timer and DMN cell runs in.

SpiffWorkflow's default environment is plain eval/exec: a gateway condition could import `os`.
Here every expression is compiled by RestrictedPython (dunder names and attributes are refused
at compile time) and runs with a small allow-list of builtins and helpers.
"""

import datetime as _dt
import json
import operator
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
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from app.errors import DomainError
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

    def call_service(self, task, operation_name=None, operation_params=None, **_kwargs):
        operation = self.operations.get(operation_name)
        if operation is None:
            raise WorkflowTaskException(f"Okänd operation '{operation_name}'", task=task)
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            result = operation(self.context, task.data, **params)
        except DomainError:
            raise  # a rule of the domain (e.g. no budget left): the user's error, not an incident
        except Exception as err:
            raise WorkflowTaskException(
                f"Operationen '{operation_name}' misslyckades: {err}", task=task, exception=err
            ) from err
        return json.dumps(result or {}, default=str)
