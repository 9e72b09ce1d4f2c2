"""Who may download an attached file."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.attachments.models import Attachment
from app.engine.models import HumanTask
from app.grants import permissions
from app.grants.applications import application_of_instance

REVIEW_TASK = "bedomning"


def can_download(session: Session, user: User, attachment: Attachment) -> bool:
    """Those who may see the case (staff, the applying organisation) and the reviewers
    assigned to it who have not declared jäv; nobody else, in particular no other
    organisation."""
    application = application_of_instance(session, attachment.process_instance_id)
    if application is not None and permissions.can_view_application(user, application):
        return True
    if not user.has_role("bedomare"):
        return False
    review = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == attachment.process_instance_id,
        HumanTask.task_name == REVIEW_TASK, HumanTask.assignee == user.username)).first()
    return review is not None and permissions.four_eyes_problem(
        session, user, review, application) is None
