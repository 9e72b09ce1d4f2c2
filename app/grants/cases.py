"""The case summary: what a user may read of one case, shown on the case page and beside
every task of it (one query for every page, so no page shows more than the policy allows)."""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.engine.tasks import completed_tasks
from app.forms.languages import SOURCE_LANGUAGE
from app.forms.presenters import Entry, describe
from app.grants import permissions
from app.grants.models import Application
from app.grants.reviews import REVIEW_FORM, review_table

# The form whose data is the reviews (its schema names the criteria and their weights).
# The role whose forms everyone who may see the case may read (the application itself).
APPLICANT_ROLE = "sokande"


@dataclass
class Section:
    title: str
    entries: list[Entry]


@dataclass
class CaseSummary:
    application: Application
    sections: list[Section] = field(default_factory=list)
    reviews: dict | None = None  # review_table(), for those who may see the reviews


def case_summary(session: Session, user: User, application: Application, forms: dict,
                 leave_out: str | None = None, lang: str | None = None) -> CaseSummary:
    """Return what the user may read of the case: the data of each completed form (staff:
    all; others: the applicant's), and the reviews once the user may see them. `forms` maps
    form names to definitions; `leave_out` names a form not to show (the one being filled);
    `lang` the language of the forms' texts."""
    if not permissions.can_view_application(session, user, application):
        return CaseSummary(application)
    forms = {name: form.in_language(lang) for name, form in forms.items()}
    summary = CaseSummary(application, sections=_sections(session, user, application, forms,
                                                          leave_out, lang))
    review_form = forms.get(REVIEW_FORM)
    if review_form is not None and permissions.can_see_reviews(session, user, application):
        summary.reviews = review_table(session, review_form.schema, application)
    return summary


def _sections(session, user, application, forms, leave_out, lang) -> list[Section]:
    data = application.instance.data
    every_form = permissions.can_see_all_forms(user)
    seen, sections = {leave_out}, []
    for task in completed_tasks(session, application.process_instance_id):
        if task.form_name in seen or task.form_name not in forms:
            continue
        if not every_form and task.role != APPLICANT_ROLE:
            continue
        seen.add(task.form_name)
        definition = forms[task.form_name]
        entries = describe(definition.schema, definition.uischema, data, lang or SOURCE_LANGUAGE)
        if entries:
            sections.append(Section(definition.title, entries))
    return sections
