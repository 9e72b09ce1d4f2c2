"""Who may download an attached file."""

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.attachments.models import Attachment
from app.grants import permissions
from app.grants.applications import application_of_instance


def can_download(session: Session, user: User, attachment: Attachment) -> bool:
    """Those who may see the case (staff, the applying organisation, the reviewers assigned
    to it who have not declared jäv); nobody else, in particular no other organisation."""
    application = application_of_instance(session, attachment.process_instance_id)
    return application is not None and permissions.can_view_application(
        session, user, application)
