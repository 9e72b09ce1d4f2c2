"""Run-time choices, dates relative to today, field subsets, attachments fields."""

import json
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.formatting import local_today
from app.forms import (
    FormDefinition,
    check_definition,
)
from tests.form_examples import BEDOMARE_CHOICES, EXAMPLES
from tests.form_support import (
    CHOICE,
    REQUIRED,
    REQUIRED_GROUP,
    SMALL,
    render,
)

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
        "fritt": {"type": "string", "title": "Fritt", "maxLength": 100},
    }}, {
    "personer": {"ui:widget": "checkboxes", "ui:optionsSource": "personer"},
    "grupp": {"ansvarig": {"ui:widget": "radio", "ui:optionsSource": "personer"}},
    "rader": {"items": {"enhet": {"ui:optionsSource": "enheter"}}},
})
PERSONER = [("anna", "Anna Andersson"), ("bo", "Bo Berg")]


def test_options_sources_lists_every_source_the_form_uses(real_forms):
    assert SOURCED.options_sources() == {"personer", "enheter"}
    assert real_forms["tilldela-bedomare"].options_sources() == {"bedomare"}
    assert real_forms["ansokan"].options_sources() == {"kommundelar", "atgardsplan"}


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
    assert defn.schema["properties"]["valda_bedomare"]["items"] == {"type": "string"}
    filled = defn.with_choices(BEDOMARE_CHOICES)

    html = render(filled.make_form(), filled)
    labels = [html.xpath(f"//label[@for='valda_bedomare-{i}']")[0].text_content()
              for i in (0, 1)]
    assert labels == ["Bo Bedömare", "Berit Bedömare"]
    assert html.get_element_by_id("valda_bedomare-0").get("value") == "bedomare"
    assert filled.validate_data({**EXAMPLES["tilldela-bedomare"],
                                 "valda_bedomare": ["bedomare", "bedomare"]}) == {
        "valda_bedomare": ["Samma val får bara förekomma en gång."]}


# Dates relative to today ---------------------------------------------------------------------


def test_a_new_form_gets_a_date_relative_to_today(real_forms):
    defn = real_forms["formell-kontroll"]

    assert defn.make_form(today=date(2027, 3, 1)).komplettering_frist.data == date(2027, 3, 15)
    assert defn.make_form(today=date(2027, 12, 25)).komplettering_frist.data == date(2028, 1, 8)
    html = render(defn.make_form(today=date(2027, 3, 1)), defn)
    assert html.get_element_by_id("komplettering_frist").value == "2027-03-15"
    assert defn.make_form().komplettering_frist.data > local_today()


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
            "text": {"type": "string", "title": "Text", "maxLength": 100,
                     "default": "hej"}}}}})

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
    assert len(ansokan.schema["properties"]) == 19
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
    defn = real_forms["tilldela-bedomare"].subset(["valda_bedomare"]).with_choices(
        BEDOMARE_CHOICES)

    assert defn.options_sources() == {"bedomare"}
    assert defn.validate_data({"valda_bedomare": ["bedomare2"]}) == {}
    assert defn.validate_data({"valda_bedomare": ["x"]}) == {"valda_bedomare.0": [CHOICE]}


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
    ({"type": "string", "x-prefill-from": 3}, {}, "x-prefill-from ska vara namnet"),
    ({"type": "object", "properties": {"b": {"type": "string", "x-prefill-from": "c"}}}, {},
     "bara på formulärets översta nivå"),
])
def test_check_definition_names_bad_custom_keywords(prop, ui, expected):
    problems = check_definition(FormDefinition("x", {**SMALL, "properties": {"a": prop}},
                                               {"a": ui}))

    assert any(expected in p for p in problems), problems


def test_a_new_form_starts_from_its_fields_or_the_variables_they_name():
    defn = FormDefinition("x", {**SMALL, "properties": {
        "belopp": {"type": "integer", "x-prefill-from": "forslag_belopp"},
        "titel": {"type": "string", "x-prefill-from": "rubrik"}}})

    assert defn.prefill({"forslag_belopp": 5, "titel": "Egen", "rubrik": "Annan"}) == {
        "belopp": 5, "titel": "Egen"}
    assert defn.prefill({"annat": 1}) is None


@pytest.mark.parametrize("widget", ["checkboxes", "select", None])
def test_a_list_of_run_time_choices_may_be_checkboxes_or_a_select(widget):
    ui = {"ui:optionsSource": "x", **({"ui:widget": widget} if widget else {})}
    defn = FormDefinition("x", {**SMALL, "properties": {
        "a": {"type": "array", "items": {"type": "string"}}}}, {"a": ui})

    assert check_definition(defn) == []
    expected = "CheckboxGroupField" if widget == "checkboxes" else "SelectMultipleField"
    assert defn.with_choices({"x": [("1", "Ett")]}).make_form().a.type == expected
