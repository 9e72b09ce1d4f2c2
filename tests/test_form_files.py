"""The real form files of the trygghetsfond process and example data for each."""


import jsonschema
import pytest
from werkzeug.datastructures import MultiDict

from app.forms import (
    FormDefinition,
    check_definition,
)
from tests.form_examples import BEDOMARE_CHOICES, EXAMPLES, KRITERIER, VARIANTS
from tests.form_support import (
    CHOICE,
    REQUIRED,
    REQUIRED_GROUP,
    REQUIRED_ROWS,
    render,
)

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
    optional = {"medfinansiering", "samverkanspartner", "kamera", "bilagor", "lagesbild_problem"}
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


# Example data for every real form (also used by the process tests) ---------------------------

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
    ("tilldela-bedomare", {"valda_bedomare": ["bedomare", "okand"]},
     {"valda_bedomare.1": [CHOICE]}),
    ("tilldela-bedomare", {"valda_bedomare": []},
     {"valda_bedomare": ["Välj minst ett alternativ."]}),
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
    ("forening-ansokan", {"orgnummer": "802015-4328", "kontonummer": "5050-1056"},
     {"orgnummer": ["Ange föreningens organisationsnummer med 10 siffror, t.ex. "
                              "802015-4327; kontrollsiffran ska stämma."],
      "kontonummer": ["Ange ett giltigt bankgironummer (7 eller 8 siffror) eller "
                      "plusgironummer (2–8 siffror) för den valda kontotypen; kontrollsiffran "
                      "ska stämma."]}),
    ("forening-ansokan", {"kontotyp": "plusgiro", "kontonummer": "12 34 56-7"},
     {"kontonummer": ["Ange ett giltigt bankgironummer (7 eller 8 siffror) eller "
                      "plusgironummer (2–8 siffror) för den valda kontotypen; kontrollsiffran "
                      "ska stämma."]}),
    ("forening-kontroll", {"kompletteras": None, "svara_senast": None},
     {"kompletteras": [REQUIRED], "svara_senast": [REQUIRED]}),
    ("forening-beslut", {"beviljas": None, "utbetalning": None},
     {"beviljas": [REQUIRED], "utbetalning": [REQUIRED_ROWS]}),
    ("forening-beslut", {"utbetalning": [{"dag": "2027-05-02", "summa": 30000}] * 2},
     {"utbetalning": ["Bidraget betalas ut vid ett tillfälle: ange en rad."]}),
    ("forening-godkannande", {"godkannande": "tillbaka"}, {"godkannande_kommentar": [REQUIRED]}),
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
