"""Example data for every real form (valid; also a reference for the process tests)."""

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
    "tilldela-bedomare": {"valda_bedomare": ["bedomare", "bedomare2"],
                          "bedomning_frist": "2027-04-15"},
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
