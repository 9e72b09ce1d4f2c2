"""Forms as data: schema → WTForms, Swedish validation, rows without JavaScript, rendering."""

import json
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
    assert real_forms["formell-kontroll"].make_form().komplettering_frist_dagar.data == 14


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


@pytest.mark.parametrize(("data", "field"), [
    ({"kontroll_utfall": "komplettering"}, "kontroll_meddelande"),
    ({"kontroll_utfall": "avvisning"}, "avvisning_motivering"),
])
def test_formell_kontroll_requires_the_text_its_outcome_needs(real_forms, data, field):
    defn = real_forms["formell-kontroll"]

    assert defn.validate_data(data)[field] == [REQUIRED]
    assert defn.validate_data({"kontroll_utfall": "komplett"}) == {}


def test_beslut_requires_an_amount_only_for_a_partial_grant(real_forms):
    defn = real_forms["beslut"]
    form = defn.make_form(MultiDict([("beslut", "delvis_bifall"),
                                     ("beslut_motivering", "Enligt riktlinjerna.")]))

    assert not defn.validate(form)
    assert form.beviljat_belopp.errors == [REQUIRED]
    assert defn.validate_data({"beslut": "bifall",
                               "beslut_motivering": "Enligt riktlinjerna."}) == {}


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
    assert set(real_forms) == {"ansokan", "formell-kontroll", "komplettering", "beslut"}
    for name, defn in real_forms.items():
        assert check_definition(defn) == [], name
        assert defn.title
        defn.make_form()


def test_ansokan_has_the_keys_the_process_uses(real_forms):
    schema = real_forms["ansokan"].schema

    assert schema["title"] == "Ansökan om medel ur trygghetsfonden"
    assert set(schema["required"]) == set(schema["properties"])
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
        ("startdatum", "2027-04-01"), ("slutdatum", "2027-12-31"),
        ("budget-0-post", "Västar"), ("budget-0-belopp", "25 000"),
        ("sokt_belopp", "25 000 kr"), ("bekraftelse", "y"),
    ]))

    assert defn.validate(form), form.errors
    assert defn.to_data(form)["sokt_belopp"] == 25000


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
    defn = real_forms["komplettering"]
    with app.test_request_context(method="POST", data={"komplettering_svar": "Här är svaret."}):
        form = defn.make_form(formdata=request.form, base=FlaskForm)
        assert not defn.validate(form)
        assert form.csrf_token.errors
        html = render(form, defn)
        assert html.xpath("//input[@type='hidden']") == []  # the page renders the token
        assert "Skicka det igen" in html.find_class("error-summary")[0].text_content()
        token = form.csrf_token.current_token
        assert "csrf_token" not in defn.to_data(form)

        good = MultiDict({"komplettering_svar": "Här är svaret.", "csrf_token": token})
        assert defn.validate(defn.make_form(formdata=good, base=FlaskForm))

        ansokan = real_forms["ansokan"].make_form(base=FlaskForm)
        assert [f.name for f in ansokan if f.type == "CSRFTokenField"] == ["csrf_token"]
        assert ansokan.kontaktperson.form.meta.csrf is False
