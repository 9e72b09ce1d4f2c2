"""The restricted script environment: useful expressions run, escapes are refused."""

import pytest

from app.engine.scripting import RestrictedEnvironment, ScriptRefused

ESCAPES = [
    "__import__('os').getcwd()",
    "().__class__.__base__.__subclasses__()",
    "[].__class__.__mro__[1].__subclasses__()",
    "getattr((), '__class__')",
    "open('/etc/passwd').read()",
    "eval('1+1')",
    "exec('x = 1')",
    "(lambda: 0).__globals__",
    "'{0.__class__}'.format(1)",
    "globals()",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_escapes_are_refused(expression):
    env = RestrictedEnvironment()
    with pytest.raises((ScriptRefused, NameError, AttributeError, TypeError, NotImplementedError)):
        env.evaluate(expression, {})


def test_dunder_names_are_refused_at_compile_time():
    env = RestrictedEnvironment()
    with pytest.raises(ScriptRefused, match="__import__"):
        env.evaluate("__import__('os')", {})
    with pytest.raises(ScriptRefused, match="__class__"):
        env.evaluate("().__class__", {})


def test_conditions_on_task_data():
    env = RestrictedEnvironment()
    data = {"kontroll_utfall": "komplett", "belopp": [100, 250], "rad": {"a": 1}}
    assert env.evaluate('kontroll_utfall == "komplett"', data) is True
    assert env.evaluate("sum(belopp) > 300", data) is True
    assert env.evaluate("max(belopp) + min(belopp)", data) == 350
    assert env.evaluate('rad["a"] + len(belopp)', data) == 3
    assert env.evaluate('"P" + str(14) + "D"', data) == "P14D"
    assert env.evaluate("[x * 2 for x in belopp]", data) == [200, 500]


def test_scripts_write_back_to_task_data():
    env = RestrictedEnvironment()
    data = {"omgangar": 1, "gammal": True}
    env.execute("omgangar += 1\nsumma = Decimal('10.50') * 2\ndel gammal", data)
    assert data["omgangar"] == 2
    assert str(data["summa"]) == "21.00"
    assert "gammal" not in data
    assert "Decimal" not in data and "__builtins__" not in data


def test_date_helpers():
    env = RestrictedEnvironment()
    assert str(env.evaluate("date(2027, 1, 31) + timedelta(days=14)", {})) == "2027-02-14"


def test_script_cannot_escape_through_builtins():
    env = RestrictedEnvironment()
    with pytest.raises((ScriptRefused, NameError, ImportError)):
        env.execute("import os", {})
    with pytest.raises((ScriptRefused, NameError, ImportError)):
        env.execute("x = __builtins__", {})
