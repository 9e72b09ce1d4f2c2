"""validate_data, check_definition and loading form files."""

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.forms import (
    FormDefinition,
    FormFileError,
    check_definition,
    load_catalogue,
    load_form,
)
from tests.form_support import (
    FORMS_DIR,
    NBSP,
    REQUIRED,
    SMALL,
    render,
    submit,
)

# validate_data: what the engine uses --------------------------------------------------------


def test_validate_data_returns_swedish_messages_by_dotted_path(real_forms):
    errors = real_forms["ansokan"].validate_data({
        "sokt_belopp": 2_000_000, "kontaktperson": {"namn": "A", "epost": "nej",
                                                    "telefon": "12"},
        "startdatum": "2027-02-30", "budget": [{"post": "Lön", "belopp": -1}],
    })

    assert errors["sokt_belopp"] == [f"Får vara högst 1{NBSP}500{NBSP}000."]
    assert errors["kontaktperson.epost"] == ["Ange en giltig e-postadress."]
    assert errors["kontaktperson.telefon"][0].startswith("Ange ett svenskt telefonnummer")
    assert errors["startdatum"] == ["Ange ett datum i formen ÅÅÅÅ-MM-DD."]
    assert errors["budget.0.belopp"] == ["Får vara lägst 0."]
    assert errors["titel"] == [REQUIRED]
    assert "kontaktperson.telefon" not in real_forms["ansokan"].validate_data(
        {"kontaktperson": {"telefon": "08-535 300 00"}})


@pytest.mark.parametrize(("data", "fields"), [
    ({"kontroll_utfall": "komplettering"},
     {"kontroll_meddelande": [REQUIRED], "komplettering_frist": [REQUIRED],
      "komplettering_delar": [REQUIRED]}),
    ({"kontroll_utfall": "avvisning"}, {"avvisning_motivering": [REQUIRED]}),
    ({"kontroll_utfall": "avskrivning"}, {"avskrivning_motivering": [REQUIRED]}),
])
def test_formell_kontroll_requires_the_text_its_outcome_needs(real_forms, data, fields):
    defn = real_forms["formell-kontroll"]

    assert defn.validate_data(data) == fields
    assert defn.validate_data({"kontroll_utfall": "komplett"}) == {}


def test_beslut_requires_an_amount_for_a_grant_or_partial_grant(real_forms):
    defn = real_forms["beslut"]
    form = defn.make_form(MultiDict([("beslut", "delvis_bifall"),
                                     ("beslut_motivering", "Enligt riktlinjerna."),
                                     ("beslut_jav_intygande", "y")]))

    assert not defn.validate(form)
    assert form.beviljat_belopp.errors == [REQUIRED]
    assert form.errors == {"beviljat_belopp": [REQUIRED]}
    assert defn.validate_data({"beslut": "bifall", "beslut_motivering": "Enligt riktlinjerna.",
                               "beslut_jav_intygande": True}) == {"beviljat_belopp": [REQUIRED]}
    assert defn.validate_data({"beslut": "avslag", "beslut_motivering": "Enligt riktlinjerna.",
                               "beslut_jav_intygande": True}) == {}


def test_a_problem_without_a_field_goes_to_the_form_errors():
    defn = FormDefinition("x", {"title": "X", "type": "object", "additionalProperties": False,
                                "properties": {"a": {"type": "string", "title": "A"}},
                                "not": {"required": ["a"]}})
    form = defn.make_form(MultiDict([("a", "värde")]))

    assert not defn.validate(form)
    assert form.form_errors == ["Värdet är inte tillåtet."]
    assert defn.validate_data({"b": 1}) == {"": ["Uppgifterna innehåller okända fält."]}


def test_attach_errors_puts_domain_errors_on_fields_by_dotted_path(alla):
    form = submit(alla)

    alla.attach_errors(form, {"rader.0.belopp": ["För mycket."], "adress": ["Okänd adress."],
                              "namn": ["Upptaget."], "": ["Omgången är stängd."]})

    assert form.rader.entries[0].form.belopp.errors == ["För mycket."]
    assert form.adress.form.form_errors == ["Okänd adress."]
    assert form.namn.errors == ["Upptaget."]
    assert form.form_errors == ["Omgången är stängd."]
    summary = render(form, alla).find_class("error-summary")[0].text_content()
    assert "Omgången är stängd." in summary
    assert "Adress: Okänd adress." in summary


# check_definition and load_form -------------------------------------------------------------


def write_form(folder: Path, name: str, schema, uischema=None) -> None:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    (folder / f"{name}-schema.json").write_text(text, encoding="utf-8")
    if uischema is not None:
        (folder / f"{name}-uischema.json").write_text(json.dumps(uischema), encoding="utf-8")




def test_check_definition_catches_an_invalid_schema():
    problems = check_definition(FormDefinition("x", {**SMALL, "properties": {"a": {"type": 5}}}))

    assert len(problems) == 1
    assert problems[0].startswith("ogiltigt JSON Schema")


@pytest.mark.parametrize(("schema", "uischema", "expected"), [
    (SMALL, {"b": {"ui:help": "?"}}, "uischema: 'b' finns inte i schemat"),
    (SMALL, {"ui:order": ["a", "b"]}, "nämner 'b'"),
    (SMALL, {"a": {"ui:widget": "radio"}}, "ui:widget 'radio' passar inte"),
    (SMALL, {"a": {"ui:hjälp": "?"}}, "'a.ui:hjälp' stöds inte"),
    ({**SMALL, "properties": {"a": {"type": "null"}}}, {}, "typen 'null' stöds inte"),
    ({**SMALL, "properties": {"data": {"type": "string"}}}, {}, "reserverat"),
    ({**SMALL, "required": ["b"]}, {}, "'b' i \"required\" finns inte"),
    ({**SMALL, "properties": {"a": {"type": "integer", "default": "x"}}}, {}, "standardvärdet"),
    ({"type": "object", "properties": {}}, {}, "saknar \"title\""),
])
def test_check_definition_names_the_problem(schema, uischema, expected):
    problems = check_definition(FormDefinition("x", schema, uischema))

    assert any(expected in p for p in problems), problems


def test_check_definition_looks_into_nested_objects_and_rows(alla):
    uischema = {"adress": {"fax": {}}, "rader": {"items": {"moms": {}}}}

    problems = check_definition(FormDefinition("alla", alla.schema, uischema))

    assert problems == ["uischema: 'adress.fax' finns inte i schemat",
                        "uischema: 'rader.items.moms' finns inte i schemat"]


def test_load_form_names_the_file_with_broken_json(tmp_path):
    write_form(tmp_path, "trasig", '{"title": "Trasig",\n "type": }')

    with pytest.raises(FormFileError) as caught:
        load_form(tmp_path, "trasig")

    assert caught.value.file == tmp_path / "trasig-schema.json"
    assert "rad 2" in caught.value.problem
    assert "trasig-schema.json" in str(caught.value)


def test_load_form_rejects_missing_files_and_invalid_schemas(tmp_path):
    write_form(tmp_path, "fel", {"title": "Fel", "type": "objekt"})
    write_form(tmp_path, "ok", SMALL, "[]")

    with pytest.raises(FormFileError, match="finns inte"):
        load_form(tmp_path, "saknas")
    with pytest.raises(FormFileError, match="ogiltigt JSON Schema"):
        load_form(tmp_path, "fel")
    with pytest.raises(FormFileError, match=r"ok-uischema\.json"):
        load_form(tmp_path, "ok")
    with pytest.raises(FormFileError, match="formulärnamn"):
        load_form(tmp_path, "../forms/ansokan")


def test_load_form_accepts_the_file_name_a_task_names():
    assert load_form(FORMS_DIR, "beslut-schema.json").name == "beslut"


def test_load_catalogue_reads_every_schema_in_the_folder(tmp_path):
    write_form(tmp_path, "en", SMALL, {"a": {"ui:help": "Hjälp"}})
    write_form(tmp_path, "tva", SMALL)

    catalogue = load_catalogue(tmp_path)

    assert sorted(catalogue) == ["en", "tva"]
    assert catalogue["en"].uischema == {"a": {"ui:help": "Hjälp"}}
    (tmp_path / "ensam-uischema.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FormFileError, match=r"ensam-uischema\.json"):
        load_catalogue(tmp_path)


def test_form_classes_are_built_once_per_base(alla):
    class Base(alla.form_class().__mro__[1]):
        pass

    assert alla.form_class() is alla.form_class()
    assert alla.form_class(Base) is not alla.form_class()
    assert issubclass(alla.form_class(Base), Base)
