"""Form fields one type at a time, good and bad input, repeatable rows."""

import json

import jsonschema
import pytest
from werkzeug.datastructures import MultiDict

from tests.form_support import (
    GOOD,
    GOOD_DATA,
    NBSP,
    REQUIRED,
    render,
    submit,
)

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


@pytest.mark.parametrize("value", ["0", "false", "False", "nej", "no", "off", "", "x"])
def test_a_box_posted_with_a_no_value_is_not_ticked(alla, value):
    form = submit(alla, godkann=value, nyhetsbrev=value)

    assert not form.ok
    assert form.godkann.errors == ["Rutan måste vara ikryssad."]
    assert form.nyhetsbrev.data is False


@pytest.mark.parametrize("value", ["y", "on", "1", "true", "ja"])
def test_a_box_posted_with_a_yes_value_is_ticked(alla, value):
    form = submit(alla, godkann=value)

    assert form.ok, form.errors
    assert alla.to_data(form)["godkann"] is True


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
