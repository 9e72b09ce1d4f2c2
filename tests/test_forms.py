"""Forms as data: schema → WTForms, Swedish validation, rows without JavaScript, rendering."""

import json
from datetime import date
from pathlib import Path

import jinja2
import jsonschema
import lxml.html
import pytest
from werkzeug.datastructures import MultiDict

from app.forms import (
    FormDefinition,
    FormFileError,
    check_definition,
    load_catalogue,
    load_form,
)

ROOT = Path(__file__).resolve().parent.parent
FORMS_DIR = ROOT / "forms"
FIXTURES = ROOT / "tests" / "fixtures" / "forms" / "fieldtypes"
TEMPLATES = ROOT / "app" / "web" / "templates"
REQUIRED = "Fältet är obligatoriskt."
REQUIRED_GROUP = "Fyll i uppgifterna i den här delen."
REQUIRED_ROWS = "Lägg till minst en rad."
CHOICE = "Välj ett av alternativen."
NBSP = "\u00a0"

GOOD = [
    ("namn", "Anna"), ("kod", "AB-123"), ("anteckning", "Kort."), ("antal", "1 500 000 kr"),
    ("andel", "12,5"), ("godkann", "y"), ("nyhetsbrev", "y"), ("farg", "grön"),
    ("storlek", "liten"), ("niva", "2"), ("epost", "anna@huddinge.se"), ("datum", "2027-03-14"),
    ("taggar", "a"), ("taggar", "c"), ("val", "x"), ("val", "y"), ("adress-gata", "Storgatan 1"),
    ("adress-postnummer", "141 85"), ("rader-0-text", "Lön"), ("rader-0-belopp", "1 000"),
    ("typ", "vanlig"),
]
GOOD_DATA = {
    "namn": "Anna", "kod": "AB-123", "anteckning": "Kort.", "antal": 1500000, "andel": 12.5,
    "godkann": True, "nyhetsbrev": True, "farg": "grön", "storlek": "liten", "niva": 2,
    "epost": "anna@huddinge.se", "datum": "2027-03-14", "taggar": ["a", "c"], "val": ["x", "y"],
    "adress": {"gata": "Storgatan 1", "postnummer": "141 85"},
    "rader": [{"text": "Lön", "belopp": 1000}], "typ": "vanlig",
}


@pytest.fixture(scope="module")
def alla() -> FormDefinition:
    return load_form(FIXTURES, "alla")


@pytest.fixture(scope="module")
def real_forms() -> dict[str, FormDefinition]:
    return load_catalogue(FORMS_DIR)


def submit(defn: FormDefinition, **changes):
    """Return a validated form built from the good input with some fields changed or removed."""
    pairs = [(k, v) for k, v in GOOD if k not in changes]
    for key, value in changes.items():
        values = value if isinstance(value, list) else [value]
        pairs += [(key, v) for v in values if v is not None]
    form = defn.make_form(MultiDict(pairs))
    form.ok = defn.validate(form)
    return form


def render(form, defn) -> lxml.html.HtmlElement:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))
    page = env.from_string(
        '{% from "forms/macros.html" import render_form %}'
        "<form>{{ render_form(form, definition) }}</form>"
    )
    return lxml.html.fromstring(page.render(form=form, definition=defn))


# Good input, to_data, saved data ------------------------------------------------------------


def test_good_input_validates_and_gives_json_data_that_matches_the_schema(alla):
    form = submit(alla)

    assert form.ok, form.errors
    data = alla.to_data(form)
    assert data == GOOD_DATA
    assert json.loads(json.dumps(data)) == data
    jsonschema.validate(data, alla.schema)
    assert alla.validate_data(data) == {}


def test_empty_optional_fields_are_left_out_of_the_data(alla):
    form = submit(alla, kod="", anteckning="  ", andel="", farg="", niva="", epost="", val=None,
                  **{"adress-postnummer": ""})

    assert form.ok, form.errors
    data = alla.to_data(form)
    for key in ("kod", "anteckning", "andel", "farg", "niva", "epost", "val"):
        assert key not in data
    assert data["adress"] == {"gata": "Storgatan 1"}


def test_saved_data_fills_a_form_that_gives_the_same_data_back(alla):
    form = alla.make_form(data=GOOD_DATA)

    assert alla.to_data(form) == GOOD_DATA
    assert form.datum._value() == "2027-03-14"
    assert form.antal._value() == f"1{NBSP}500{NBSP}000"
    assert form.andel._value() == "12,5"


def test_defaults_prefill_a_new_form(alla, real_forms):
    form = alla.make_form()

    assert form.typ.data == "vanlig"
    assert form.nyhetsbrev.data is True
    assert len(form.rader.entries) == 1
    assert real_forms["ansokan"].make_form().medfinansiering.data == 0


# One field type at a time ------------------------------------------------------------------


def test_required_fields_report_that_they_are_required(alla):
    form = submit(alla, namn="", datum="", storlek=None, taggar=None, **{"adress-gata": ""})

    assert not form.ok
    for field in (form.namn, form.datum, form.storlek, form.taggar, form.adress.gata):
        assert field.errors == [REQUIRED]


@pytest.mark.parametrize(("value", "message"), [
    ("A", "Måste ha minst 2 tecken (nu 1)."),
    ("A" * 21, "Får ha högst 20 tecken (nu 21)."),
])
def test_text_length_limits(alla, value, message):
    assert submit(alla, namn=value).namn.errors == [message]


def test_textarea_keeps_line_breaks_and_checks_max_length(alla):
    assert alla.to_data(submit(alla, anteckning="Rad 1\r\nRad 2"))["anteckning"] == "Rad 1\r\nRad 2"
    assert submit(alla, anteckning="x" * 51).anteckning.errors == [
        "Får ha högst 50 tecken (nu 51)."]
    assert "<textarea" in submit(alla).anteckning()


@pytest.mark.parametrize("value", [
    "1 500 000 kr", "1500000", "1 500 000:-", f"1{NBSP}500{NBSP}000 kr", "1500000 SEK"])
def test_integer_accepts_amounts_with_spaces_and_kr(alla, value):
    form = submit(alla, antal=value)

    assert form.ok, form.errors
    assert alla.to_data(form)["antal"] == 1500000


@pytest.mark.parametrize(("value", "message"), [
    ("abc", f"Ange ett heltal med siffror, t.ex. 1{NBSP}500{NBSP}000."),
    ("1,5", f"Ange ett heltal med siffror, t.ex. 1{NBSP}500{NBSP}000."),
    ("1 500 001", f"Får vara högst 1{NBSP}500{NBSP}000."),
    ("0", "Får vara lägst 1."),
])
def test_integer_rejects_text_and_numbers_out_of_range(alla, value, message):
    form = submit(alla, antal=value)

    assert not form.ok
    assert form.antal.errors == [message]


def test_number_accepts_decimal_comma_and_gives_int_or_float(alla):
    assert alla.to_data(submit(alla, andel="12,5"))["andel"] == 12.5
    assert alla.to_data(submit(alla, andel="40"))["andel"] == 40
    assert submit(alla, andel="tolv").andel.errors == ["Ange ett tal med siffror, t.ex. 12,5."]
    assert submit(alla, andel="100,5").andel.errors == ["Får vara högst 100."]


def test_boolean_const_true_must_be_ticked(alla):
    form = submit(alla, godkann=None)

    assert not form.ok
    assert form.godkann.errors == ["Rutan måste vara ikryssad."]
    assert alla.to_data(submit(alla, nyhetsbrev=None))["nyhetsbrev"] is False


def test_select_from_plain_enum(alla):
    form = submit(alla, farg="lila")

    assert [c.label for c in form.farg.choices][1:] == ["röd", "grön", "blå"]
    assert form.farg.errors == ["Välj ett av alternativen."]


def test_integer_choices_come_back_as_integers(alla):
    assert alla.to_data(submit(alla, niva="3"))["niva"] == 3
    assert submit(alla, niva="9").niva.errors == ["Välj ett av alternativen."]


def test_radio_with_labelled_choices(alla):
    form = submit(alla, storlek="jätte")

    assert form.storlek.type == "RadioField"
    assert [(c.value, c.label) for c in form.storlek.choices] == [("liten", "Liten"),
                                                                   ("stor", "Stor")]
    assert form.storlek.errors == ["Välj ett av alternativen."]


@pytest.mark.parametrize("value", ["anna", "anna@", "anna@@huddinge.se", "anna huddinge.se"])
def test_email_must_be_an_email_address(alla, value):
    form = submit(alla, epost=value)

    assert form.epost.errors == ["Ange en giltig e-postadress."]
    assert 'type="email"' in form.epost()


@pytest.mark.parametrize("value", ["2027-13-01", "14/3/2027", "2027-02-30", "igår"])
def test_date_must_be_a_real_date_in_iso_form(alla, value):
    form = submit(alla, datum=value)

    assert not form.ok
    assert form.datum.errors == ["Ange ett datum i formen ÅÅÅÅ-MM-DD."]
    assert 'type="date"' in form.datum()


def test_multi_select_and_checkbox_group(alla):
    assert submit(alla, taggar=["a", "q"]).taggar.errors == ["Välj ett av alternativen."]
    assert submit(alla, val=["x"]).val.errors == ["Välj minst 2 alternativ."]
    assert submit(alla, val=["x", "x"]).val.errors == [
        "Samma val får bara förekomma en gång."]
    assert submit(alla).val.type == "CheckboxGroupField"
    assert submit(alla).taggar.type == "SelectMultipleField"


def test_pattern_with_default_and_custom_message(alla):
    assert submit(alla, kod="ab-123").kod.errors == ["Har inte rätt format."]
    form = submit(alla, **{"adress-postnummer": "1418"})
    assert form.adress.postnummer.errors == ["Ange postnumret med fem siffror, t.ex. 141 85."]


def test_error_on_a_nested_object_lands_on_the_nested_field(alla):
    form = submit(alla, **{"adress-gata": ""})

    assert form.adress.gata.errors == [REQUIRED]
    assert form.errors["adress"] == {"gata": [REQUIRED]}
    assert alla.validate_data({**GOOD_DATA, "adress": {}}) == {"adress.gata": [REQUIRED]}


def test_conditional_required_is_reported_on_the_field_it_requires(alla):
    form = submit(alla, typ="annan")

    assert not form.ok
    assert form.motivering.errors == [REQUIRED]
    assert form.form_errors == []
    assert submit(alla, typ="annan", motivering="Därför att.").ok


def test_typed_input_is_kept_after_a_failed_validation(alla):
    form = submit(alla, antal="1 500 000 kr", datum="2027-13-01", andel="tolv", namn="",
                  storlek="stor", **{"rader-0-belopp": "mycket"})
    html = render(form, alla)

    assert not form.ok
    assert html.get_element_by_id("antal").value == "1 500 000 kr"
    assert html.get_element_by_id("datum").value == "2027-13-01"
    assert html.get_element_by_id("andel").value == "tolv"
    assert html.get_element_by_id("rader-0-belopp").value == "mycket"
    assert html.get_element_by_id("storlek-1").checked
    assert html.get_element_by_id("kod").value == "AB-123"


# Rows: arrays of objects ---------------------------------------------------------------------


def test_add_row_button_adds_an_empty_row_without_validating(alla):
    form = alla.make_form(MultiDict([*GOOD, ("_rows", "add:rader")]))

    assert alla.handle_row_actions(form) is True
    assert [e.name for e in form.rader.entries] == ["rader-0", "rader-1"]
    assert form.rader.entries[1].form.text.data is None
    assert form.errors == {}
    html = render(form, alla)
    assert html.get_element_by_id("rader-1").get("autofocus") is not None
    assert html.get_element_by_id("rader-0").get("autofocus") is None


def test_remove_row_button_removes_that_row_and_keeps_the_others(alla):
    pairs = [(k, v) for k, v in GOOD if not k.startswith("rader")]
    pairs += [("rader-0-text", "A"), ("rader-1-text", "B"), ("rader-1-belopp", "x"),
              ("rader-2-text", "C"), ("_rows", "remove:rader-1")]
    form = alla.make_form(MultiDict(pairs))

    assert alla.handle_row_actions(form) is True
    assert [e.form.text.data for e in form.rader.entries] == ["A", "C"]
    assert [e.name for e in form.rader.entries] == ["rader-0", "rader-1"]
    assert form.errors == {}
    assert render(form, alla).get_element_by_id("rader").get("autofocus") is not None


def test_rows_stay_within_min_and_max_items(alla):
    one = alla.make_form(MultiDict([("rader-0-text", "A"), ("_rows", "remove:rader-0")]))
    assert alla.handle_row_actions(one)
    assert len(one.rader.entries) == 1

    pairs = [(f"rader-{i}-text", str(i)) for i in range(3)] + [("_rows", "add:rader")]
    three = alla.make_form(MultiDict(pairs))
    assert alla.handle_row_actions(three)
    assert len(three.rader.entries) == 3


def test_minimum_rows_are_reported_in_swedish(alla):
    errors = alla.validate_data({**GOOD_DATA, "rader": []})

    assert errors == {"rader": ["Lägg till minst en rad."]}
    assert alla.validate_data({**GOOD_DATA, "rader": [{"text": "A"}]}) == {
        "rader.0.belopp": [REQUIRED]}


def test_no_row_action_without_a_row_button(alla):
    assert alla.handle_row_actions(alla.make_form(MultiDict(GOOD))) is False
    assert alla.handle_row_actions(alla.make_form()) is False
    guard = alla.make_form(MultiDict([*GOOD, ("_rows", "none")]))
    assert alla.handle_row_actions(guard) is True
    assert len(guard.rader.entries) == 1


def test_row_buttons_follow_the_form_prefix(alla):
    form = alla.make_form(MultiDict([("a-rader-0-text", "A"), ("a-_rows", "add:a-rader")]),
                          prefix="a")

    assert alla.handle_row_actions(form)
    assert len(form.rader.entries) == 2
    html = render(form, alla)
    assert html.get_element_by_id("a-rader-1-text").get("name") == "a-rader-1-text"
    assert {b.get("name") for b in html.iter("button")} == {"a-_rows"}


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


def test_beslut_requires_an_amount_only_for_a_partial_grant(real_forms):
    defn = real_forms["beslut"]
    form = defn.make_form(MultiDict([("beslut", "delvis_bifall"),
                                     ("beslut_motivering", "Enligt riktlinjerna."),
                                     ("beslut_jav_intygande", "y")]))

    assert not defn.validate(form)
    assert form.beviljat_belopp.errors == [REQUIRED]
    assert form.errors == {"beviljat_belopp": [REQUIRED]}
    assert defn.validate_data({"beslut": "bifall", "beslut_motivering": "Enligt riktlinjerna.",
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


# The real form files ------------------------------------------------------------------------


def test_every_form_file_loads_and_passes_the_check(real_forms):
    assert set(real_forms) == set(EXAMPLES)
    for name, defn in real_forms.items():
        assert check_definition(defn) == [], name
        assert defn.title
        defn.make_form()


def test_ansokan_has_the_keys_the_process_uses(real_forms):
    schema = real_forms["ansokan"].schema

    assert schema["title"] == "Ansökan om medel ur trygghetsfonden"
    optional = {"medfinansiering", "samverkanspartner", "kamera", "bilagor"}
    assert set(schema["required"]) == set(schema["properties"]) - optional
    assert schema["properties"]["kontaktperson"]["required"] == ["namn", "epost"]
    assert schema["properties"]["sokt_belopp"]["title"] == "Sökt belopp (kr)"
    form = real_forms["ansokan"].make_form()
    assert form.atgardstyper.type == "CheckboxGroupField"
    assert form.kategori.type == "RadioField"
    assert ("rojning", "Röjning av vegetation") in [(c.value, c.label)
                                                    for c in form.atgardstyper.choices]


def test_a_complete_application_is_valid(real_forms):
    defn = real_forms["ansokan"]
    form = defn.make_form(MultiDict([
        ("titel", "Nattvandring i Vårby"), ("kort_beskrivning", "Vuxna nattvandrar."),
        ("kontaktperson-namn", "Anna Andersson"), ("kontaktperson-epost", "anna@huddinge.se"),
        ("kategori", "social"), ("atgardstyper", "nattvandring"), ("stadsdelar", "Vårby"),
        ("beskrivning", "Otrygghet kvällstid enligt lägesbilden."),
        ("malgrupp", "Unga 13–17 år i Vårby centrum."),
        ("startdatum", "2027-04-01"), ("slutdatum", "2027-12-31"),
        ("budget-0-post", "Västar"), ("budget-0-beskrivning", ""), ("budget-0-belopp", "25 000"),
        ("medfinansiering", "0"), ("sokt_belopp", "25 000 kr"), ("samverkanspartner", ""),
        ("resultat-0-indikator", "Andel trygga"), ("resultat-0-utgangslage", "45 %"),
        ("resultat-0-mal", "60 %"), ("kamera-kamera_placering", ""), ("bekraftelse", "y"),
    ]))

    assert defn.validate(form), form.errors
    data = defn.to_data(form)
    assert data["sokt_belopp"] == 25000
    assert data["budget"] == [{"post": "Västar", "belopp": 25000}]
    assert "kamera" not in data
    assert "samverkanspartner" not in data


# check_definition and load_form -------------------------------------------------------------


def write_form(folder: Path, name: str, schema, uischema=None) -> None:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    (folder / f"{name}-schema.json").write_text(text, encoding="utf-8")
    if uischema is not None:
        (folder / f"{name}-uischema.json").write_text(json.dumps(uischema), encoding="utf-8")


SMALL = {"title": "Liten", "type": "object", "properties": {"a": {"type": "string"}}}


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


# Rendering ---------------------------------------------------------------------------------


def test_macro_gives_every_input_a_label_and_marks_required_fields(alla):
    html = render(alla.make_form(), alla)

    controls = html.xpath("//input[not(@type='hidden')] | //select | //textarea")
    assert len(controls) > 20
    for control in controls:
        labels = html.xpath(f"//label[@for='{control.get('id')}']")
        assert len(labels) == 1, control.get("id")
    namn_label = html.xpath("//label[@for='namn']")[0].text_content()
    assert "(obligatoriskt)" in namn_label
    assert html.get_element_by_id("namn").get("aria-required") == "true"
    assert "(obligatoriskt)" not in html.xpath("//label[@for='kod']")[0].text_content()
    assert html.get_element_by_id("namn").get("required") is None


def test_macro_puts_groups_in_fieldsets_with_legends(alla):
    html = render(alla.make_form(), alla)

    for group in ("storlek", "val", "adress", "rader"):
        fieldset = html.get_element_by_id(group)
        assert fieldset.tag == "fieldset"
        assert fieldset.find("legend").text_content().strip()
    assert html.get_element_by_id("storlek-0").get("type") == "radio"
    assert html.get_element_by_id("val-0").get("type") == "checkbox"
    row = html.get_element_by_id("rader-0")
    assert "row" in row.get("class")
    assert row.find("legend").text_content() == "Rad 1"


def test_macro_links_help_texts_with_aria_describedby(alla):
    html = render(alla.make_form(), alla)

    assert html.get_element_by_id("anteckning").get("aria-describedby") == "anteckning--help"
    assert html.get_element_by_id("anteckning--help").text_content() == "Högst 50 tecken."
    assert html.get_element_by_id("storlek").get("aria-describedby") == "storlek--help"
    assert html.get_element_by_id("epost").get("placeholder") == "namn@huddinge.se"


def test_macro_shows_errors_next_to_fields_and_in_a_summary(alla):
    form = submit(alla, namn="", antal="abc", storlek=None, **{"adress-gata": ""})
    html = render(form, alla)

    namn = html.get_element_by_id("namn")
    assert namn.get("aria-invalid") == "true"
    assert "namn--error" in namn.get("aria-describedby").split()
    error = html.get_element_by_id("namn--error")
    assert error.get("class") == "error"
    assert REQUIRED in error.text_content()
    assert error.getparent().get("class") == "field field-error"
    assert html.get_element_by_id("kod").getparent().get("class") == "field"
    assert html.get_element_by_id("kod").get("aria-invalid") is None

    summary = html.find_class("error-summary")[0]
    links = {a.get("href"): a.text_content() for a in summary.iter("a")}
    assert links == {
        "#namn": f"Namn: {REQUIRED}",
        "#antal": f"Antal (kr): Ange ett heltal med siffror, t.ex. 1{NBSP}500{NBSP}000.",
        "#storlek-0": f"Storlek: {REQUIRED}",
        "#adress-gata": f"Adress, Gata: {REQUIRED}",
    }
    for href in links:
        assert html.get_element_by_id(href[1:]) is not None


def test_macro_without_errors_has_no_summary_and_no_invalid_fields(alla):
    html = render(submit(alla), alla)

    assert html.find_class("error-summary") == []
    assert html.xpath("//*[@aria-invalid]") == []


def test_macro_names_row_errors_by_row(alla):
    form = submit(alla, **{"rader-0-belopp": "-5"})
    html = render(form, alla)

    summary = html.find_class("error-summary")[0].text_content()
    assert "Rader, rad 1, Belopp: Får vara lägst 0." in summary
    assert html.get_element_by_id("rader-0-belopp").get("aria-invalid") == "true"


def test_macro_renders_row_buttons_that_work_without_javascript(alla):
    form = alla.make_form(MultiDict([("rader-0-text", "A"), ("rader-1-text", "B")]))
    html = render(form, alla)

    buttons = {(b.get("name"), b.get("value")): b for b in html.iter("button")}
    assert set(buttons) == {("_rows", "none"), ("_rows", "remove:rader-0"),
                            ("_rows", "remove:rader-1"), ("_rows", "add:rader")}
    assert buttons[("_rows", "add:rader")].text_content() == "Lägg till rad"
    assert buttons[("_rows", "remove:rader-1")].text_content() == "Ta bort"
    assert all(b.get("type") == "submit" for b in buttons.values())
    assert buttons[("_rows", "none")].get("hidden") is not None
    first_submit = html.xpath("//button[@type='submit']")[0]
    assert first_submit.get("value") == "none"


def test_macro_hides_remove_at_min_rows_and_add_at_max_rows(alla):
    one = render(alla.make_form(), alla)
    assert [b.get("value") for b in one.iter("button")] == ["none", "add:rader"]

    full = alla.make_form(MultiDict([(f"rader-{i}-text", "x") for i in range(3)]))
    values = [b.get("value") for b in render(full, alla).iter("button")]
    assert "add:rader" not in values
    assert len([v for v in values if v.startswith("remove:")]) == 3


def test_macro_escapes_what_the_user_typed(alla):
    form = submit(alla, namn="<script>alert(1)</script>")
    html = render(form, alla)

    assert html.xpath("//script") == []
    assert html.get_element_by_id("namn").value == "<script>alert(1)</script>"


def test_flask_form_base_adds_csrf_and_the_summary_reports_a_bad_token(real_forms):
    from flask import Flask, request
    from flask_wtf import FlaskForm

    app = Flask(__name__)
    app.secret_key = "test"
    defn = real_forms["granska-aterrapport"]
    with app.test_request_context(method="POST", data={"granskning": "godkand"}):
        form = defn.make_form(formdata=request.form, base=FlaskForm)
        assert not defn.validate(form)
        assert form.csrf_token.errors
        html = render(form, defn)
        assert html.xpath("//input[@type='hidden']") == []  # the page renders the token
        assert "Skicka det igen" in html.find_class("error-summary")[0].text_content()
        token = form.csrf_token.current_token
        assert "csrf_token" not in defn.to_data(form)

        good = MultiDict({"granskning": "godkand", "csrf_token": token})
        assert defn.validate(defn.make_form(formdata=good, base=FlaskForm))

        ansokan = real_forms["ansokan"].make_form(base=FlaskForm)
        assert [f.name for f in ansokan if f.type == "CSRFTokenField"] == ["csrf_token"]
        assert ansokan.kontaktperson.form.meta.csrf is False


# Example data for every real form (also used by the process tests) ---------------------------

KRITERIER = ("problemanalys", "malgrupp", "kunskapsgrund", "samverkan", "mal_och_uppfoljning",
             "budget", "langsiktighet")
BEDOMARE_CHOICES = {"bedomare": [("bedomare", "Bo Bedömare"), ("bedomare2", "Berit Bedömare")]}
EXAMPLES = {
    "ansokan": {
        "titel": "Nattvandring i Vårby",
        "kort_beskrivning": "Vuxna nattvandrar i Vårby centrum fredag och lördag kväll.",
        "kontaktperson": {"namn": "Anna Andersson", "epost": "anna.andersson@huddinge.se",
                          "telefon": "08-535 300 00"},
        "kategori": "social",
        "atgardstyper": ["nattvandring", "trygghetskameror"],
        "stadsdelar": ["Vårby"],
        "beskrivning": "Otryggheten kvällstid i Vårby centrum har ökat enligt lägesbilden. "
                       "Vuxna nattvandrar två kvällar i veckan.",
        "malgrupp": "Unga 13–17 år som är i Vårby centrum på kvällar, cirka 200 per helg.",
        "startdatum": "2027-04-01",
        "slutdatum": "2027-12-31",
        "budget": [
            {"post": "Västar och ficklampor", "beskrivning": "40 västar à 400 kr.",
             "belopp": 60000},
            {"post": "Hyra av trygghetskameror", "belopp": 40000},
        ],
        "medfinansiering": 10000,
        "sokt_belopp": 90000,
        "samverkanspartner": "Lokalpolisområde Huddinge och föreningen Nattvandrarna.",
        "resultat": [{"indikator": "Andel boende som känner sig trygga ute på kvällen",
                      "utgangslage": "45 %", "mal": "60 %"}],
        "kamera": {"imy_tillstand": "ansokt",
                   "kamera_placering": "Två kameror vid tunnelbaneuppgången i Vårby centrum."},
        "bekraftelse": True,
    },
    "formell-kontroll": {
        "kontroll_utfall": "komplettering",
        "komplettering_delar": ["budget", "resultat"],
        "kontroll_meddelande": "Dela upp budgeten per kvartal och lägg till en indikator för "
                               "antalet nattvandringar.",
        "komplettering_frist": "2027-03-29",
    },
    "tilldela-bedomare": {"bedomare": ["bedomare", "bedomare2"], "bedomning_frist": "2027-04-15"},
    "bedomning": {"bedomning": {
        "jav": "ingen",
        "kriterier": {name: {"poang": 4, "motivering": "Tydligt och väl underbyggt."}
                      for name in KRITERIER},
        "rekommendation": "delvis_bifall",
        "rekommenderat_belopp": 80000,
        "kommentar": "Kamerahyran bör följas upp.",
    }},
    "beredning": {
        "forslag": "bifall",
        "forslag_belopp": 90000,
        "villkor": "Oförbrukade medel ska betalas tillbaka.",
        "utbetalningsplan": [
            {"datum": "2027-05-03", "belopp": 60000},
            {"datum": "2027-09-01", "belopp": 30000, "villkor": "Efter godkänd delrapport."},
        ],
        "aterrapportering_datum": "2028-01-31",
    },
    "beslut": {
        "beslut": "bifall",
        "beviljat_belopp": 90000,
        "beslut_villkor": "Oförbrukade medel ska betalas tillbaka.",
        "beslut_motivering": "Insatsen uppfyller fondens riktlinjer och bygger på lägesbilden.",
        "beslut_jav_intygande": True,
    },
    "namndbeslut": {
        "organ": "au",
        "sammantradesdatum": "2027-05-12",
        "paragraf": "§ 123",
        "beslut": "delvis_bifall",
        "beviljat_belopp": 200000,
        "beslut_villkor": "Återrapportering senast 2028-01-31.",
        "beslut_motivering": "Utskottet bifaller ansökan delvis; kamerahyran ryms inte i fonden.",
    },
    "aterrapportering": {
        "genomfort": "Nattvandring 60 kvällar april–december; kameror uppsatta i juni.",
        "anvant_belopp": 85000,
        "indikator_utfall": [{"indikator": "Andel boende som känner sig trygga ute på kvällen",
                              "utfall": "58 %"}],
        "kommentar": "Färre kvällar än planerat under sommaren.",
    },
    "granska-aterrapport": {"granskning": "aterkrav", "aterkrav_belopp": 5000},
}
# Other outcomes the process takes; each must be valid too.
VARIANTS = [
    # A larger application (250 000 kr: decided by the arbetsutskott, see namndbeslut).
    ("ansokan", {**EXAMPLES["ansokan"], "sokt_belopp": 250000,
                 "budget": [{"post": "Trygghetsvärdar", "belopp": 200000},
                            {"post": "Hyra av trygghetskameror", "belopp": 60000}]}),
    ("formell-kontroll", {"kontroll_utfall": "komplett"}),
    ("formell-kontroll", {"kontroll_utfall": "avskrivning",
                          "avskrivning_motivering": "Ingen komplettering kom in inom fristen."}),
    ("bedomning", {"bedomning": {"jav": "jav",
                                 "jav_skal": "Jag sitter i styrelsen för föreningen."}}),
    ("beredning", {"forslag": "avslag", "forslag_belopp": 0,
                   "forslag_motivering": "Insatsen hör inte till fondens ändamål."}),
    ("granska-aterrapport", {"granskning": "godkand"}),
    ("granska-aterrapport", {"granskning": "komplettera",
                             "granskning_meddelande": "Redovisa hur kamerorna har använts."}),
]


def example_definition(real_forms, name: str) -> FormDefinition:
    defn = real_forms[name]
    return defn.with_choices(BEDOMARE_CHOICES) if defn.options_sources() else defn


@pytest.mark.parametrize(("name", "data"), [*EXAMPLES.items(), *VARIANTS])
def test_example_data_is_valid_and_survives_a_round_trip_through_the_form(real_forms, name,
                                                                         data):
    defn = example_definition(real_forms, name)

    assert defn.validate_data(data) == {}
    jsonschema.validate(data, defn.schema)
    form = defn.make_form(data=data)
    assert defn.validate(form), form.errors
    assert defn.to_data(form) == data


@pytest.mark.parametrize(("name", "changes", "errors"), [
    ("ansokan", {"kamera": None}, {"kamera": [REQUIRED_GROUP]}),
    ("ansokan", {"kamera": {"kamera_placering": "Vid torget."}},
     {"kamera.imy_tillstand": [REQUIRED]}),
    ("ansokan", {"resultat": [{"indikator": "Trygghet"}]},
     {"resultat.0.utgangslage": [REQUIRED], "resultat.0.mal": [REQUIRED]}),
    ("ansokan", {"malgrupp": None, "resultat": None},
     {"malgrupp": [REQUIRED], "resultat": [REQUIRED_ROWS]}),
    ("ansokan", {"medfinansiering": -1}, {"medfinansiering": ["Får vara lägst 0."]}),
    ("formell-kontroll", {"komplettering_delar": ["budget", "bekraftelse"]},
     {"komplettering_delar.1": [CHOICE]}),
    ("formell-kontroll", {"komplettering_delar": []},
     {"komplettering_delar": ["Välj minst ett alternativ."]}),
    ("formell-kontroll", {"komplettering_frist": "2027-02-30"},
     {"komplettering_frist": ["Ange ett datum i formen ÅÅÅÅ-MM-DD."]}),
    ("tilldela-bedomare", {"bedomare": ["bedomare", "okand"]}, {"bedomare.1": [CHOICE]}),
    ("tilldela-bedomare", {"bedomare": []}, {"bedomare": ["Välj minst ett alternativ."]}),
    ("bedomning", {"bedomning": {"jav": "ingen"}},
     {"bedomning.kriterier": [REQUIRED_GROUP], "bedomning.rekommendation": [REQUIRED]}),
    ("bedomning", {"bedomning": {"jav": "jav"}}, {"bedomning.jav_skal": [REQUIRED]}),
    ("bedomning", {"bedomning": {**EXAMPLES["bedomning"]["bedomning"],
                                 "rekommenderat_belopp": None}},
     {"bedomning.rekommenderat_belopp": [REQUIRED]}),
    ("bedomning", {"bedomning": {**EXAMPLES["bedomning"]["bedomning"], "kriterier": {
        **EXAMPLES["bedomning"]["bedomning"]["kriterier"], "samverkan": {"poang": 7}}}},
     {"bedomning.kriterier.samverkan.poang": [CHOICE],
      "bedomning.kriterier.samverkan.motivering": [REQUIRED]}),
    ("bedomning", {"bedomning": None}, {"bedomning": [REQUIRED_GROUP]}),
    ("beredning", {"forslag": "delvis_bifall"}, {"forslag_motivering": [REQUIRED]}),
    ("beredning", {"utbetalningsplan": None, "aterrapportering_datum": None},
     {"utbetalningsplan": [REQUIRED_ROWS], "aterrapportering_datum": [REQUIRED]}),
    ("beredning", {"utbetalningsplan": [{"datum": "2027-05-03", "belopp": 0}] * 5},
     {"utbetalningsplan": ["Får ha högst 4 rader."],
      **{f"utbetalningsplan.{i}.belopp": ["Får vara lägst 1."] for i in range(5)}}),
    ("beslut", {"beslut_jav_intygande": False},
     {"beslut_jav_intygande": ["Rutan måste vara ikryssad."]}),
    ("beslut", {"beslut_jav_intygande": None}, {"beslut_jav_intygande": [REQUIRED]}),
    ("namndbeslut", {"paragraf": "123"},
     {"paragraf": ["Skriv paragrafen med §, t.ex. § 123."]}),
    ("namndbeslut", {"beviljat_belopp": None, "organ": "kf"},
     {"beviljat_belopp": [REQUIRED], "organ": [CHOICE]}),
    ("aterrapportering", {"indikator_utfall": [], "anvant_belopp": None},
     {"indikator_utfall": ["Lägg till minst en rad."], "anvant_belopp": [REQUIRED]}),
    ("granska-aterrapport", {"aterkrav_belopp": 0}, {"aterkrav_belopp": ["Får vara lägst 1."]}),
    ("granska-aterrapport", {"granskning": "komplettera", "aterkrav_belopp": None},
     {"granskning_meddelande": [REQUIRED]}),
])
def test_bad_data_gets_swedish_errors_on_the_fields_concerned(real_forms, name, changes, errors):
    defn = example_definition(real_forms, name)
    data = without_none({**EXAMPLES[name], **changes})

    assert defn.validate_data(data) == errors


def without_none(data: dict) -> dict:
    """Return the data with every None value (a left-out field) removed, also in objects."""
    return {key: without_none(value) if isinstance(value, dict) else value
            for key, value in data.items() if value is not None}


@pytest.mark.parametrize("paragraf", ["§ 123", "§123", "§ 7"])
def test_namndbeslut_accepts_a_paragraph_with_or_without_space(real_forms, paragraf):
    defn = real_forms["namndbeslut"]

    assert defn.validate_data({**EXAMPLES["namndbeslut"], "paragraf": paragraf}) == {}
    assert defn.make_form().paragraf().count('placeholder="§ 123"') == 1


def test_komplettering_delar_offers_every_part_of_the_application_but_the_confirmation(
        real_forms):
    ansokan = real_forms["ansokan"].schema["properties"]
    delar = real_forms["formell-kontroll"].schema["properties"]["komplettering_delar"]

    offered = [(o["const"], o["title"]) for o in delar["items"]["oneOf"]]
    assert offered == [(name, prop["title"]) for name, prop in ansokan.items()
                       if name != "bekraftelse"]
    form = real_forms["formell-kontroll"].make_form()
    assert form.komplettering_delar.type == "CheckboxGroupField"


def test_komplettering_shows_only_the_parts_asked_for(real_forms):
    delar = EXAMPLES["formell-kontroll"]["komplettering_delar"]
    defn = real_forms["ansokan"].subset(delar)

    assert [field.name for field in defn.make_form()] == ["budget", "resultat"]
    assert defn.validate_data({k: EXAMPLES["ansokan"][k] for k in delar}) == {}
    assert defn.validate_data({"budget": []}) == {"budget": ["Lägg till minst en rad."],
                                                  "resultat": [REQUIRED_ROWS]}


def test_bedomning_criteria_carry_their_weights(real_forms):
    bedomning = real_forms["bedomning"].schema["properties"]["bedomning"]
    kriterier = bedomning["properties"]["kriterier"]["properties"]

    assert {name: node["x-vikt"] for name, node in kriterier.items()} == {
        "problemanalys": 3, "malgrupp": 2, "kunskapsgrund": 2, "samverkan": 1,
        "mal_och_uppfoljning": 2, "budget": 2, "langsiktighet": 1}
    poang = kriterier["budget"]["properties"]["poang"]
    assert [o["title"] for o in poang["oneOf"]][0::4] == ["1 – mycket svag", "5 – mycket stark"]


def bedomning_pairs(**changes) -> list[tuple[str, str]]:
    pairs = [("bedomning-jav", "ingen"), ("bedomning-rekommendation", "bifall")]
    for name in KRITERIER:
        pairs += [(f"bedomning-kriterier-{name}-poang", "3"),
                  (f"bedomning-kriterier-{name}-motivering", "Godtagbart.")]
    pairs = [(k, v) for k, v in pairs if k not in changes]
    return pairs + [(k, v) for k, v in changes.items() if v is not None]


def test_a_reviewer_who_is_jävig_leaves_the_criteria_empty(real_forms):
    defn = real_forms["bedomning"]
    pairs = [(k, "") for k, _v in bedomning_pairs() if k != "bedomning-jav"]
    form = defn.make_form(MultiDict([*pairs, ("bedomning-jav", "jav"),
                                     ("bedomning-jav_skal", "Jag sitter i föreningens styrelse.")]))

    assert defn.validate(form), form.errors
    assert defn.to_data(form) == {"bedomning": {
        "jav": "jav", "jav_skal": "Jag sitter i föreningens styrelse."}}


def test_a_reviewer_who_is_not_jävig_must_score_every_criterion(real_forms):
    defn = real_forms["bedomning"]
    form = defn.make_form(MultiDict(bedomning_pairs()))
    assert defn.validate(form), form.errors
    data = defn.to_data(form)
    assert data["bedomning"]["kriterier"]["budget"] == {"poang": 3, "motivering": "Godtagbart."}

    empty = defn.make_form(MultiDict(
        [(k, "") if "kriterier" in k else (k, v) for k, v in bedomning_pairs()]))
    assert not defn.validate(empty)
    assert empty.bedomning.kriterier.form.form_errors == [REQUIRED_GROUP]

    missing = {"bedomning-kriterier-samverkan-poang": None}
    partly = defn.make_form(MultiDict(bedomning_pairs(**missing)))
    assert not defn.validate(partly)
    assert partly.bedomning.kriterier.samverkan.poang.errors == [REQUIRED]


def test_cameras_chosen_without_the_camera_part_is_reported_on_that_part(real_forms):
    defn = real_forms["ansokan"]
    data = {k: v for k, v in EXAMPLES["ansokan"].items() if k != "kamera"}
    form = defn.make_form(data=data)

    assert not defn.validate(form)
    assert form.kamera.form.form_errors == [REQUIRED_GROUP]
    summary = render(form, defn).find_class("error-summary")[0].text_content()
    assert f"Om trygghetskameror ingår: {REQUIRED_GROUP}" in summary
    no_cameras = {**data, "atgardstyper": ["nattvandring"]}
    assert defn.validate_data(no_cameras) == {}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_real_form_renders_with_a_label_for_every_control(real_forms, name):
    defn = example_definition(real_forms, name)
    html = render(defn.make_form(), defn)

    controls = html.xpath("//input[not(@type='hidden')] | //select | //textarea")
    assert controls
    for control in controls:
        assert len(html.xpath(f"//label[@for='{control.get('id')}']")) == 1, control.get("id")


def free_text_helps(node: dict, ui: dict, where: str = ""):
    """Yield (path, help) of every textarea in a form, nested objects and rows included."""
    for name, prop in node.get("properties", {}).items():
        prop_ui = ui.get(name, {})
        if prop.get("type") == "object":
            yield from free_text_helps(prop, prop_ui, f"{where}{name}.")
        elif prop.get("type") == "array" and prop["items"].get("type") == "object":
            yield from free_text_helps(prop["items"], prop_ui.get("items", {}), f"{where}{name}.")
        elif prop_ui.get("ui:widget") == "textarea":
            yield where + name, prop_ui.get("ui:help", "")


def test_free_text_fields_warn_against_personal_data(real_forms):
    helps = [(f"{name}:{path}", text) for name, defn in real_forms.items()
             for path, text in free_text_helps(defn.schema, defn.uischema)]

    assert len(helps) > 20
    for where, text in helps:
        assert "enskilda personer" in text, where
    ansokan = real_forms["ansokan"].uischema
    for name in ("kontaktperson", "bekraftelse"):
        assert "GDPR" in ansokan[name]["ui:help"]
    assert "sekretess" in ansokan["kamera"]["kamera_placering"]["ui:help"]


# Run-time choices: ui:optionsSource and with_choices -------------------------------------------

SOURCED = FormDefinition("val", {
    "title": "Val", "type": "object", "required": ["personer"],
    "properties": {
        "personer": {"type": "array", "title": "Personer", "minItems": 1, "uniqueItems": True,
                     "items": {"type": "string"}},
        "grupp": {"type": "object", "title": "Grupp", "properties": {
            "ansvarig": {"type": "string", "title": "Ansvarig"}}},
        "rader": {"type": "array", "title": "Rader", "items": {
            "type": "object", "properties": {"enhet": {"type": "string", "title": "Enhet"}}}},
        "fritt": {"type": "string", "title": "Fritt"},
    }}, {
    "personer": {"ui:widget": "checkboxes", "ui:optionsSource": "personer"},
    "grupp": {"ansvarig": {"ui:widget": "radio", "ui:optionsSource": "personer"}},
    "rader": {"items": {"enhet": {"ui:optionsSource": "enheter"}}},
})
PERSONER = [("anna", "Anna Andersson"), ("bo", "Bo Berg")]


def test_options_sources_lists_every_source_the_form_uses(real_forms):
    assert SOURCED.options_sources() == {"personer", "enheter"}
    assert real_forms["tilldela-bedomare"].options_sources() == {"bedomare"}
    assert real_forms["ansokan"].options_sources() == set()


def test_with_choices_injects_one_of_for_the_form_and_the_validation():
    filled = SOURCED.with_choices({"personer": PERSONER})

    props = filled.schema["properties"]
    one_of = [{"const": "anna", "title": "Anna Andersson"}, {"const": "bo", "title": "Bo Berg"}]
    assert props["personer"]["items"] == {"type": "string", "oneOf": one_of}
    assert props["grupp"]["properties"]["ansvarig"]["oneOf"] == one_of
    assert props["rader"]["items"]["properties"]["enhet"] == {"type": "string", "title": "Enhet"}
    form = filled.make_form()
    assert form.personer.type == "CheckboxGroupField"
    assert [(c.value, c.label) for c in form.personer.choices] == PERSONER
    assert form.grupp.ansvarig.type == "RadioField"
    assert filled.validate_data({"personer": ["anna", "cecilia"],
                                 "grupp": {"ansvarig": "x"}}) == {
        "personer.1": [CHOICE], "grupp.ansvarig": [CHOICE]}
    posted = filled.make_form(MultiDict([("personer", "bo"), ("personer", "eve")]))
    assert not filled.validate(posted)
    assert posted.personer.errors == [CHOICE]
    assert check_definition(filled) == []


def test_with_choices_leaves_the_original_and_its_cache_alone():
    before = SOURCED.form_class()
    schema = json.dumps(SOURCED.schema)

    filled = SOURCED.with_choices({"personer": PERSONER, "enheter": [("a", "A")]})

    assert filled is not SOURCED
    assert json.dumps(SOURCED.schema) == schema
    assert SOURCED.form_class() is before
    assert SOURCED.validate_data({"personer": ["vem som helst"]}) == {}
    assert filled.form_class() is not before
    assert filled.name == SOURCED.name
    assert filled.uischema == SOURCED.uischema


def test_an_empty_choice_list_accepts_nothing_and_a_form_without_choices_still_renders():
    empty = SOURCED.with_choices({"personer": []})

    assert empty.validate_data({"personer": ["anna"]}) == {"personer.0": [CHOICE]}
    assert check_definition(empty) == []
    for defn in (SOURCED, empty):
        form = defn.make_form()
        assert form.personer.choices == []
        render(form, defn)


def test_tilldela_bedomare_gets_the_reviewers_at_run_time(real_forms):
    defn = real_forms["tilldela-bedomare"]
    assert defn.schema["properties"]["bedomare"]["items"] == {"type": "string"}
    filled = defn.with_choices(BEDOMARE_CHOICES)

    html = render(filled.make_form(), filled)
    labels = [html.xpath(f"//label[@for='bedomare-{i}']")[0].text_content() for i in (0, 1)]
    assert labels == ["Bo Bedömare", "Berit Bedömare"]
    assert html.get_element_by_id("bedomare-0").get("value") == "bedomare"
    assert filled.validate_data({**EXAMPLES["tilldela-bedomare"],
                                 "bedomare": ["bedomare", "bedomare"]}) == {
        "bedomare": ["Samma val får bara förekomma en gång."]}


# Dates relative to today ---------------------------------------------------------------------


def test_a_new_form_gets_a_date_relative_to_today(real_forms):
    defn = real_forms["formell-kontroll"]

    assert defn.make_form(today=date(2027, 3, 1)).komplettering_frist.data == date(2027, 3, 15)
    assert defn.make_form(today=date(2027, 12, 25)).komplettering_frist.data == date(2028, 1, 8)
    html = render(defn.make_form(today=date(2027, 3, 1)), defn)
    assert html.get_element_by_id("komplettering_frist").value == "2027-03-15"
    assert defn.make_form().komplettering_frist.data > date.today()


def test_saved_or_posted_dates_win_over_the_relative_default(real_forms):
    defn = real_forms["formell-kontroll"]
    saved = defn.make_form(data={"kontroll_utfall": "komplettering",
                                 "komplettering_frist": "2027-04-30"}, today=date(2027, 3, 1))
    posted = defn.make_form(MultiDict([("kontroll_utfall", "komplett"),
                                       ("komplettering_frist", "")]), today=date(2027, 3, 1))
    other = defn.make_form(data={"kontroll_utfall": "komplett"}, today=date(2027, 3, 1))
    empty = defn.make_form(data={}, today=date(2027, 3, 1))

    assert saved.komplettering_frist.data == date(2027, 4, 30)
    assert posted.komplettering_frist.data is None
    assert defn.validate(posted)
    assert defn.to_data(posted) == {"kontroll_utfall": "komplett"}
    assert other.komplettering_frist.data is None
    assert empty.komplettering_frist.data == date(2027, 3, 15)


def test_relative_dates_in_nested_objects_and_negative_days():
    defn = FormDefinition("d", {"title": "D", "type": "object", "properties": {
        "del": {"type": "object", "title": "Del", "properties": {
            "fran": {"type": "string", "format": "date", "title": "Från",
                     "x-default-days-from-today": -1},
            "text": {"type": "string", "title": "Text", "default": "hej"}}}}})

    form = defn.make_form(today=date(2027, 3, 1))
    assert form.data["del"] == {"fran": date(2027, 2, 28), "text": "hej"}
    saved = defn.make_form(data={"del": {"text": "då"}}, today=date(2027, 3, 1))
    assert saved.data["del"] == {"fran": None, "text": "då"}
    assert check_definition(defn) == []


# Subsets of fields ---------------------------------------------------------------------------


def test_subset_keeps_the_named_fields_in_schema_order(real_forms):
    ansokan = real_forms["ansokan"]
    part = ansokan.subset(["kamera", "budget", "finns_inte"])

    assert list(part.schema["properties"]) == ["budget", "kamera"]
    assert part.schema["required"] == ["budget"]
    assert "allOf" not in part.schema
    assert part.title == ansokan.title
    assert part.schema["$schema"] == ansokan.schema["$schema"]
    assert part.uischema["ui:order"] == ["budget", "kamera"]
    assert set(part.uischema) == {"ui:order", "budget", "kamera"}
    assert check_definition(part) == []
    assert [f.name for f in part.make_form()] == ["budget", "kamera"]
    assert len(ansokan.schema["properties"]) == 18
    assert "allOf" in ansokan.schema


def test_subset_keeps_a_condition_only_with_every_field_it_mentions(real_forms):
    ansokan = real_forms["ansokan"]
    both = ansokan.subset(["atgardstyper", "kamera"])
    assert both.validate_data({"atgardstyper": ["trygghetskameror"]}) == {
        "kamera": [REQUIRED_GROUP]}

    kontroll = real_forms["formell-kontroll"]
    part = kontroll.subset(["kontroll_utfall", "avvisning_motivering"])
    assert part.validate_data({"kontroll_utfall": "avvisning"}) == {
        "avvisning_motivering": [REQUIRED]}
    assert part.validate_data({"kontroll_utfall": "komplettering"}) == {}
    assert len(part.schema["allOf"]) == 1

    beslut = real_forms["beslut"]
    assert "if" not in beslut.subset(["beslut", "beslut_motivering"]).schema
    kept = beslut.subset(["beslut", "beviljat_belopp"])
    assert kept.schema["if"] == beslut.schema["if"]
    assert kept.schema["then"] == beslut.schema["then"]


def test_subset_filters_dependencies_and_keeps_other_keywords():
    defn = FormDefinition("x", {
        "title": "X", "type": "object", "additionalProperties": False,
        "required": ["a", "b"],
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}},
        "dependentRequired": {"a": ["b"], "c": ["a"]},
        "not": {"required": ["c"]},
    }, {"ui:order": ["c", "*", "a"], "c": {"ui:help": "?"}})

    part = defn.subset(["b", "a"])
    assert part.schema == {"title": "X", "type": "object", "additionalProperties": False,
                           "required": ["a", "b"],
                           "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                           "dependentRequired": {"a": ["b"]}}
    assert part.uischema == {"ui:order": ["*", "a"]}
    assert part.validate_data({"a": "1"}) == {"b": [REQUIRED]}


@pytest.mark.parametrize("names", [[], ["finns_inte"]])
def test_subset_without_any_known_field_is_an_error(real_forms, names):
    with pytest.raises(ValueError, match="inga fält"):
        real_forms["ansokan"].subset(names)


def test_subset_and_with_choices_combine(real_forms):
    defn = real_forms["tilldela-bedomare"].subset(["bedomare"]).with_choices(BEDOMARE_CHOICES)

    assert defn.options_sources() == {"bedomare"}
    assert defn.validate_data({"bedomare": ["bedomare2"]}) == {}
    assert defn.validate_data({"bedomare": ["x"]}) == {"bedomare.0": [CHOICE]}


# check_definition: custom keywords and run-time choices --------------------------------------


def test_check_definition_accepts_custom_keywords_and_options_sources(real_forms):
    assert check_definition(SOURCED) == []
    assert check_definition(real_forms["tilldela-bedomare"]) == []
    schema = {**SMALL, "properties": {"a": {"type": "object", "title": "A", "x-vikt": 2.5,
                                            "x-annat": "ok", "properties": {}}}}
    assert check_definition(FormDefinition("x", schema)) == []


@pytest.mark.parametrize(("prop", "ui", "expected"), [
    ({"type": "string", "x-default-days-from-today": 14}, {}, "passar bara till ett datum"),
    ({"type": "string", "format": "date", "x-default-days-from-today": "14"}, {},
     "ska vara ett heltal"),
    ({"type": "object", "x-vikt": "tre", "properties": {}}, {}, "x-vikt ska vara ett tal"),
    ({"type": "object", "x-vikt": -1, "properties": {}}, {}, "x-vikt ska vara ett tal"),
    ({"type": "string"}, {"ui:optionsSource": ""}, "ska vara ett namn"),
    ({"type": "object", "properties": {}}, {"ui:optionsSource": "x"}, "passar bara till ett val"),
    ({"type": "array", "items": {"type": "object", "properties": {}}},
     {"ui:optionsSource": "x"}, "passar bara till ett val"),
    ({"type": "array", "items": {"type": "string"}},
     {"ui:optionsSource": "x", "ui:widget": "radio"}, "ui:widget 'radio' passar inte"),
    ({"type": "array", "items": {"type": "string"}}, {}, "fasta val"),
])
def test_check_definition_names_bad_custom_keywords(prop, ui, expected):
    problems = check_definition(FormDefinition("x", {**SMALL, "properties": {"a": prop}},
                                               {"a": ui}))

    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("widget", ["checkboxes", "select", None])
def test_a_list_of_run_time_choices_may_be_checkboxes_or_a_select(widget):
    ui = {"ui:optionsSource": "x", **({"ui:widget": widget} if widget else {})}
    defn = FormDefinition("x", {**SMALL, "properties": {
        "a": {"type": "array", "items": {"type": "string"}}}}, {"a": ui})

    assert check_definition(defn) == []
    expected = "CheckboxGroupField" if widget == "checkboxes" else "SelectMultipleField"
    assert defn.with_choices({"x": [("1", "Ett")]}).make_form().a.type == expected
