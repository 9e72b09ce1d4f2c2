"""Domain errors. They carry no HTTP codes; the web layer maps them."""


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists."""


class NotAllowed(DomainError):
    """The actor may see the object but not do this with it."""


class Conflict(DomainError):
    """Someone else changed the object first (e.g. completed the same task)."""


class InvalidInput(DomainError):
    """The input is wrong; `errors` maps field paths to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class ProcessDefinitionError(DomainError):
    """A process or form file is invalid; the message names the file and the element."""


class IncidentRaised(DomainError):
    """An automatic step failed; the work was rolled back and an incident recorded."""

    def __init__(self, message: str, incident_id: int):
        super().__init__(message)
        self.incident_id = incident_id


class BpmnError(Exception):
    """Raised by a service-task operation for a business outcome the process models: a boundary
    error event on the task with the same error code catches it (e.g. "ej_behorig"). Not a
    DomainError: nobody's input was wrong, the process decides what happens next."""

    def __init__(self, code: str, message: str = "", details: dict | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.details = details or {}
