"""Payee identifiers: normalised values and the exact Swedish messages for invalid ones."""

import pytest
from stdnum import iban as stdnum_iban
from stdnum import luhn

from app.payouts.identifiers import (
    account,
    bankgiro,
    bic,
    cost_centre,
    describe_account,
    format_bankgiro,
    format_iban,
    format_org_number,
    format_plusgiro,
    iban,
    org_number,
    plusgiro,
)


def with_check_digit(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def wrong_check_digit(body: str) -> str:
    return body + str((int(luhn.calc_check_digit(body)) + 1) % 10)


def iban_with_check_digits(country: str, bban: str) -> str:
    return country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban


ORG_LENGTH = "Organisationsnumret ska ha 10 siffror (NNNNNN-NNNN)."
ORG_MONTH = "Tredje och fjärde siffran ska vara minst 20 i ett organisationsnummer."
ORG_GROUP = "Ett organisationsnummer börjar med 2, 5, 7, 8 eller 9."
IBAN_FORM = ("Skriv IBAN med landskod, kontrollsiffror och kontonummer, "
             "t.ex. SE45 5000 0000 0583 9825 7466.")
IBAN_CHECK = "Kontrollsiffrorna stämmer inte – kontrollera IBAN."
BIC_FORM = "BIC ska ha 8 eller 11 tecken, t.ex. ESSESESS."
COST_CENTRE = "Ansvarskoden ska ha 1–10 tecken: bara siffror och bokstäver A–Z."


def checked(what: str) -> str:
    return f"Kontrollsiffran stämmer inte – kontrollera {what}."


@pytest.mark.parametrize(("validate", "value", "expected"), [
    (org_number, "212000-0068", "212000-0068"),  # Huddinge kommun
    (org_number, "2120000068", "212000-0068"),
    (org_number, " 212000 0068 ", "212000-0068"),
    (org_number, "16212000-0068", "212000-0068"),
    (org_number, "556036-0793", "556036-0793"),
    (org_number, with_check_digit("802481157"), "802481-1575"),
    (org_number, with_check_digit("716420000"), "716420-000" + luhn.calc_check_digit("716420000")),
    (org_number, with_check_digit("969999000"), "969999-000" + luhn.calc_check_digit("969999000")),
    (bankgiro, "5050-1055", "50501055"),
    (bankgiro, "5050 1055", "50501055"),
    (bankgiro, "902-0900", "9020900"),
    (plusgiro, "12 34 56-6", "1234566"),
    (plusgiro, "90 20 90-0", "9020900"),
    (plusgiro, with_check_digit("1"), with_check_digit("1")),
    (iban, "SE4550000000058398257466", "SE4550000000058398257466"),
    (iban, "se45 5000 0000 0583 9825 7466", "SE4550000000058398257466"),
    (iban, "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    (bic, "", ""),
    (bic, "  ", ""),
    (bic, "essesess", "ESSESESS"),
    (bic, "NDEASESSXXX", "NDEASESSXXX"),
    (bic, "HAND SESS", "HANDSESS"),
    (cost_centre, "1100", "1100"),
    (cost_centre, " KS01 ", "KS01"),
    (cost_centre, "A", "A"),
    (cost_centre, "1234567890", "1234567890"),
])
def test_valid_values_are_normalised(validate, value, expected):
    assert validate(value) == expected


@pytest.mark.parametrize(("validate", "value", "message"), [
    (org_number, "", ORG_LENGTH),
    (org_number, "212000-006", ORG_LENGTH),
    (org_number, "212000-00688", ORG_LENGTH),
    (org_number, "196212000068", ORG_LENGTH),
    (org_number, "21200A-0068", ORG_LENGTH),
    (org_number, "２１２０００-００６８", ORG_LENGTH),
    (org_number, "212000-0069", checked("organisationsnumret")),
    (org_number, "0000000000", ORG_MONTH),
    (org_number, with_check_digit("811218987"), ORG_MONTH),  # a personnummer (month 12)
    (org_number, with_check_digit("302000000"), ORG_GROUP),
    (org_number, with_check_digit("662000000"), ORG_GROUP),
    (bankgiro, "505-105", "Bankgironumret ska ha 7 eller 8 siffror."),
    (bankgiro, "50501055-1", "Bankgironumret ska ha 7 eller 8 siffror."),
    (bankgiro, "5050-105X", "Bankgironumret ska ha 7 eller 8 siffror."),
    (bankgiro, "5050-1056", checked("bankgironumret")),
    (plusgiro, "1", "Plusgironumret ska ha 2–8 siffror."),
    (plusgiro, "123456789", "Plusgironumret ska ha 2–8 siffror."),
    (plusgiro, "12 34 56-7", checked("plusgironumret")),
    (plusgiro, wrong_check_digit("4100000"), checked("plusgironumret")),
    (iban, "SE455000000005839825746", "Ett svenskt IBAN har 24 tecken (SE och 22 tecken till)."),
    (iban, "SE4650000000058398257466", IBAN_CHECK),
    (iban, "DE89 3704 0044 0532 0130", IBAN_CHECK),
    (iban, iban_with_check_digits("DE", "3704004405320130"),
     "IBAN har fel längd eller form för landet."),
    (iban, "5000 0000 0583 9825 7466", IBAN_FORM),
    (iban, "SE45 5000 0000 0583 9825 746Å", IBAN_FORM),
    (bic, "ESSESES", BIC_FORM),
    (bic, "ESSESESSX", BIC_FORM),
    (bic, "ESSESE1S", BIC_FORM),  # the XSD allows no 0 or 1 in the seventh place
    (bic, "ESSEQQSS", "BIC innehåller en okänd landskod."),
    (cost_centre, "", COST_CENTRE),
    (cost_centre, "12345678901", COST_CENTRE),
    (cost_centre, "42 00", COST_CENTRE),
    (cost_centre, '42"00', COST_CENTRE),
    (cost_centre, "4200-1", COST_CENTRE),
    (cost_centre, "ÅÄÖ", COST_CENTRE),
])
def test_invalid_values_get_the_exact_message(validate, value, message):
    with pytest.raises(ValueError) as error:
        validate(value)
    assert str(error.value) == message


@pytest.mark.parametrize(("format_value", "value", "shown"), [
    (format_org_number, "2120000068", "212000-0068"),
    (format_org_number, "212000-0068", "212000-0068"),
    (format_org_number, "okänt", "okänt"),
    (format_bankgiro, "50501055", "5050-1055"),
    (format_bankgiro, "9020900", "902-0900"),
    (format_plusgiro, "1234566", "12 34 56-6"),
    (format_plusgiro, with_check_digit("4100000"), "4 10 00 00-1"),
    (format_plusgiro, with_check_digit("12345"), "1 23 45-5"),
    (format_plusgiro, with_check_digit("1"), "1-8"),
    (format_iban, "SE4550000000058398257466", "SE45 5000 0000 0583 9825 7466"),
])
def test_values_are_formatted_for_people(format_value, value, shown):
    assert format_value(value) == shown


@pytest.mark.parametrize(("kind", "value", "expected", "shown"), [
    ("bankgiro", "5050-1055", "50501055", "Bankgiro 5050-1055"),
    ("plusgiro", "12 34 56-6", "1234566", "Plusgiro 12 34 56-6"),
    ("iban", "se45 5000 0000 0583 9825 7466", "SE4550000000058398257466",
     "IBAN SE45 5000 0000 0583 9825 7466"),
])
def test_account_dispatches_on_kind(kind, value, expected, shown):
    assert account(kind, value) == expected
    assert describe_account(kind, expected) == shown


def test_account_rejects_an_unknown_kind_and_passes_on_the_kinds_message():
    with pytest.raises(ValueError, match=r"^Välj bankgiro, plusgiro eller IBAN\.$"):
        account("bankkonto", "1234")
    with pytest.raises(ValueError, match="kontrollera bankgironumret"):
        account("bankgiro", "5050-1056")
