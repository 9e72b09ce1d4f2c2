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
    # The föreningsbidrag (processes/foreningsbidrag.bpmn).
    "forening-ansokan": {
        "aktivitet": "Sommarläger för unga i Vårby",
        "sammanfattning": "Fem dagars läger med idrott och friluftsliv för unga i Vårby.",
        "kontakt": {"namn": "Fia Förening", "epost": "fia@forening.example"},
        "orgnummer": "802015-4327", "kontotyp": "bankgiro", "kontonummer": "5050-1055",
        "medlemsantal": 180,
        "verksamhet": "Ett sommarläger med fotboll, bad och friluftsliv för 40 unga.",
        "aktivitet_start": "2027-06-20", "aktivitet_slut": "2027-06-25",
        "kostnader": [{"post": "Lägerplats och mat", "summa": 70000},
                      {"post": "Buss", "summa": 20000}],
        "egen_insats": 10000, "belopp": 80000, "styrelsen_star_bakom": True,
    },
    "forening-kontroll": {
        "kontroll": "komplettering", "kompletteras": ["kostnader", "belopp"],
        "till_foreningen": "Dela upp lägerplatsen och maten på två rader.",
        "svara_senast": "2027-03-01",
    },
    "forening-beslut": {
        "beslut_utfall": "delvis_bifall", "beviljas": 60000,
        "utbetalning": [{"dag": "2027-05-02", "summa": 60000}], "rapport_senast": "2027-09-30",
        "villkor": "Bussen ingår inte.", "beslutsmotivering": "Lägret beviljas; bussen ryms inte i bidraget.",
        "ingen_jav": True,
    },
    "forening-godkannande": {"godkannande": "godkant", "godkannare_ingen_jav": True},
    "forening-rapport": {"genomforande": "Lägret genomfördes med 38 deltagare.",
                         "deltagare": 38, "forbrukat": 50000},
    "forening-rapportgranskning": {"rapport_bedomning": "aterkrav",
                                   "rapport_anteckning": "10 000 kr användes inte."},
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
    ("forening-ansokan", {**EXAMPLES["forening-ansokan"], "kontotyp": "plusgiro",
                          "kontonummer": "12 34 56-6"}),
    ("forening-kontroll", {"kontroll": "avvisning",
                           "skal_avvisning": "Föreningen är inte en ideell förening."}),
    ("forening-beslut", {"beslut_utfall": "avslag", "beslutsmotivering": "Aktiviteten hör inte till "
                         "bidragets ändamål.", "ingen_jav": True}),
    ("forening-godkannande", {"godkannande": "tillbaka", "godkannare_ingen_jav": True,
                              "godkannande_kommentar": "Motivera varför bussen inte ingår."}),
    ("granska-aterrapport", {"granskning": "komplettera",
                             "granskning_meddelande": "Redovisa hur kamerorna har använts."}),
]
