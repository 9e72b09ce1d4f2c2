"""Domain errors → HTTP status codes and friendly Swedish pages (never a stack trace)."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from app.errors import Conflict, IncidentRaised, InvalidInput, NotAllowed, NotFound

STATUS = {NotFound: 404, NotAllowed: 403, Conflict: 409, InvalidInput: 422, IncidentRaised: 503}
TITLES = {
    400: "Felaktig begäran", 403: "Åtkomst nekad", 404: "Sidan finns inte",
    405: "Metoden är inte tillåten", 409: "Konflikt", 413: "För stor fil",
    422: "Felaktiga uppgifter", 500: "Ett fel uppstod", 503: "Steget kunde inte slutföras",
}


def register(app: Flask) -> None:
    """Install the error handlers."""
    for error_class, status in STATUS.items():
        app.register_error_handler(error_class, _domain_handler(status))
    app.register_error_handler(CSRFError, _csrf_error)
    for status in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(status, _http_handler(status))


def _page(status: int, message: str):
    return render_template("errors/error.html", status=status, title=TITLES.get(status, "Fel"),
                           message=message), status


def _domain_handler(status: int):
    def handle(err):
        return _page(status, err.message)
    return handle


def _csrf_error(_err):
    return _page(400, "Formuläret hade gått ut eller saknade säkerhetstoken. "
                      "Ladda om sidan och försök igen.")


def _http_handler(status: int):
    def handle(_err):
        messages = {
            404: "Sidan du söker finns inte, eller så saknar du behörighet att se den.",
            413: "Filen eller formuläret är för stort.",
            500: "Något gick fel hos oss. Felet är loggat; försök igen om en stund.",
        }
        return _page(status, messages.get(status, TITLES.get(status, "Fel")))
    return handle
