"""A service's refusal turned into what the person sees, in one place.

Every view that calls a service which may refuse (``ServiceError``) does it the same way::

    with service_call(form) as call:
        cohort = cohorts.create_cohort(db.session, current_user, name, description)
    if call.refused:
        return render_template(...)  # the message is on the form's field, or flashed
    return redirect(url_for("admin.cohort", cohort_id=cohort.id))

On success the transaction is committed (the one commit of the request). On a refusal it is
rolled back, so a refused request changes nothing, and the message goes onto the form field the
error names, else into a flash. Anything but a ``ServiceError`` passes through untouched.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash

from course.extensions import db
from course.services.errors import ServiceError


@dataclass
class Call:
    """The outcome of one ``service_call`` block."""

    error: ServiceError | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None


@contextmanager
def service_call(form=None, *, keep: bool = False, report: bool = True) -> Iterator[Call]:
    """Run the block's service calls as one unit: commit on success; on a ``ServiceError``, roll
    back and tell the person why.

    ``form``: where a field error goes (``error.field``); without it, or for an error of no field
    of it, the message is flashed. ``keep``: commit what the service settled before it refused
    instead of rolling back (an attempt whose time ran out is closed and graded even though the
    save that found it is refused). ``report=False``: say nothing; the caller answers with
    ``call.error`` itself (a JSON body, say).

    A ``return`` inside the block leaves it as a success: what was done so far is committed."""
    call = Call()
    try:
        yield call
    except ServiceError as error:
        call.error = error
        if keep:
            db.session.commit()
        else:
            db.session.rollback()
        if report:
            _report(form, error)
    else:
        db.session.commit()


def _report(form, error: ServiceError) -> None:
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        flash(error.message, "error")
