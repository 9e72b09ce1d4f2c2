"""Domain errors → HTTP status codes and friendly pages in the visitor's language (our own
template for every HTTP error, never Werkzeug's bare English page, never a stack trace)."""

from babel.numbers import format_decimal
from flask import Flask, current_app, make_response, render_template
from flask_babel import get_locale, lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.errors import Conflict, IncidentRaised, InvalidInput, NotAllowed, NotFound
from app.web.downloads import StoredFileUnavailable

STATUS = {NotFound: 404, NotAllowed: 403, Conflict: 409, InvalidInput: 422, IncidentRaised: 503}
TITLES = {
    400: lazy_gettext("Felaktig begäran"),
    403: lazy_gettext("Åtkomst nekad"),
    404: lazy_gettext("Sidan finns inte"),
    405: lazy_gettext("Metoden är inte tillåten"),
    409: lazy_gettext("Konflikt"),
    413: lazy_gettext("För stor fil"),
    414: lazy_gettext("För lång adress"),
    415: lazy_gettext("Formatet tas inte emot"),
    422: lazy_gettext("Felaktiga uppgifter"),
    429: lazy_gettext("För många försök"),
    431: lazy_gettext("För stora rubriker"),
    500: lazy_gettext("Ett fel uppstod"),
    503: lazy_gettext("Steget kunde inte slutföras"),
}
MESSAGES = {
    400: lazy_gettext("Sidan kunde inte läsa det som skickades. Gå tillbaka, ladda om sidan och "
                      "försök igen."),
    403: lazy_gettext("Du har inte behörighet att göra det här."),
    404: lazy_gettext("Sidan du söker finns inte, eller så saknar du behörighet att se den."),
    405: lazy_gettext("Adressen går inte att använda på det här sättet. Gå till startsidan och "
                      "försök därifrån."),
    409: lazy_gettext("Ärendet har ändrats eller steget är redan gjort. Ladda om sidan."),
    422: lazy_gettext("Uppgifterna kunde inte tas emot. Kontrollera dem och försök igen."),
    429: lazy_gettext("Vänta en stund och försök igen."),
    500: lazy_gettext("Något gick fel hos oss. Felet är loggat; försök igen om en stund."),
    503: lazy_gettext("Steget kunde inte slutföras. Handläggarna har fått en signal om felet."),
}
# The whole request is over the hard cap (MAX_CONTENT_LENGTH); a single file over
# MAX_UPLOAD_BYTES never gets here: the form is shown again naming the file.
TOO_LARGE = lazy_gettext(
    "Det som skickades är för stort och togs inte emot, så inget av det har sparats. Allt som "
    "skickas på en gång får vara högst %(total)s MB, en fil högst %(file)s MB och ett textfält "
    "högst %(text)s kB. Gå tillbaka och skicka färre filer åt gången. Det du skrev finns oftast "
    "kvar i webbläsaren när du går tillbaka.")
# Any other HTTP error: our page, never Werkzeug's bare English one.
OTHER_TITLE = lazy_gettext("Fel")
OTHER_MESSAGE = lazy_gettext("Begäran kunde inte utföras. Gå tillbaka och försök igen, eller gå "
                             "till startsidan.")
CSRF_MESSAGE = lazy_gettext("Formuläret hade gått ut eller saknade säkerhetstoken. "
                            "Ladda om sidan och försök igen.")


def register(app: Flask) -> None:
    """Install the error handlers."""
    for error_class, status in STATUS.items():
        app.register_error_handler(error_class, _domain_handler(status))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StoredFileUnavailable, _stored_file_unavailable)


def _page(status: int, message: str, detail: str | None = None):
    return render_template("errors/error.html", status=status,
                           title=TITLES.get(status, OTHER_TITLE), message=message,
                           detail=detail), status


def _domain_handler(status: int):
    def handle(err):
        # Domain messages are Swedish (the domain does not know the request's language):
        # in another language the page explains in that language and quotes the detail.
        if str(get_locale()) == "sv":
            return _page(status, err.message)
        return _page(status, MESSAGES.get(status, TITLES[status]), detail=err.message)
    return handle


def _csrf_error(_err):
    return _page(400, CSRF_MESSAGE)


def _http_error(err):
    status = err.code if isinstance(err, HTTPException) and err.code else 500
    message = MESSAGES.get(status, OTHER_MESSAGE)
    if status == 413:
        message = TOO_LARGE % {"total": _megabytes("MAX_CONTENT_LENGTH"),
                               "file": _megabytes("MAX_UPLOAD_BYTES"),
                               "text": current_app.config["MAX_FORM_MEMORY_SIZE"] // 1000}
    response = make_response(_page(status, message))
    if isinstance(err, HTTPException):  # keep what the error tells clients (Allow, Retry-After)
        for name, value in err.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response


def _megabytes(setting: str) -> str:
    return format_decimal(round(current_app.config[setting] / (1024 * 1024), 1),
                          locale=str(get_locale()))



# The documents a download can be missing, as the 503 page names them.
STORED_KINDS = {"bilaga": lazy_gettext("bilagan"), "beslutsbrev": lazy_gettext("beslutsbrevet"),
                "batchfil": lazy_gettext("batchfilen")}


def _stored_file_unavailable(err: StoredFileUnavailable):
    message = lazy_gettext(
        "Filen till %(document)s ”%(name)s” kan inte hämtas just nu: den saknas i fillagringen "
        "eller så går lagringen inte att nå. Felet är loggat; kontakta systemförvaltaren om det "
        "består.", document=STORED_KINDS.get(err.kind, err.kind), name=err.name)
    page = render_template("errors/error.html", status=503, message=message,
                           title=lazy_gettext("Filen kan inte hämtas"))
    return page, 503, {"Retry-After": "300"}
