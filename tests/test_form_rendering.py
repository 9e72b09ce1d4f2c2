"""The form macro: labels, fieldsets, errors, row buttons, CSRF."""

from werkzeug.datastructures import MultiDict

from tests.form_support import (
    NBSP,
    REQUIRED,
    render,
    submit,
)

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
