"""The duty stations list (administrators): add, rename, set the kind, remove an unused station."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from course.access import admin_only
from course.extensions import db
from course.forms import EmptyForm, StationForm
from course.i18n import current_language
from course.models import DutyStation
from course.services import stations
from course.views.refusals import service_call

bp = Blueprint("stations", __name__, url_prefix="/admin/stations")


def station_choices() -> list[tuple[str, str]]:
    """The choices of a person's duty station field: none, or a station of the list."""
    lang = current_language()
    return [("", _("No duty station"))] + [(str(s.id), s.name_in(lang)) for s in stations.all_stations(db.session)]


def chosen_station(value: str | None) -> DutyStation | None:
    return db.session.get(DutyStation, int(value)) if value and value.isdigit() else None


def _form(station: DutyStation | None = None) -> StationForm:
    form = StationForm(obj=station, prefix="station")
    form.kind.choices = [(kind.value, str(label)) for kind, label in stations.KIND_LABELS.items()]
    if station is not None and not form.is_submitted():
        form.kind.data = station.kind.value
    return form


@bp.route("", methods=["GET", "POST"])
@admin_only
def index():
    form = _form()
    if form.validate_on_submit():
        with service_call(form) as call:
            stations.create_station(db.session, current_user, form.name_en.data, form.name_ar.data, form.kind.data)
        if not call.refused:
            flash(_("Station added."), "success")
            return redirect(url_for("stations.index"))
    return render_template("stations/index.html", form=form, stations=stations.all_stations(db.session),
                           people=stations.in_use(db.session), kinds=stations.KIND_LABELS), 400 if form.errors else 200


@bp.route("/<int:station_id>", methods=["GET", "POST"])
@admin_only
def edit(station_id: int):
    station = db.session.get(DutyStation, station_id) or abort(404)
    form = _form(station)
    if form.validate_on_submit():
        with service_call(form) as call:
            stations.update_station(db.session, current_user, station, form.name_en.data, form.name_ar.data,
                                    form.kind.data)
        if not call.refused:
            flash(_("Saved."), "success")
            return redirect(url_for("stations.index"))
    return render_template("stations/edit.html", form=form, station=station,
                           people=stations.in_use(db.session).get(station.id, 0),
                           delete_form=EmptyForm(prefix="delete")), 400 if form.errors else 200


@bp.post("/<int:station_id>/delete")
@admin_only
def delete(station_id: int):
    station = db.session.get(DutyStation, station_id) or abort(404)
    if not EmptyForm(prefix="delete").validate_on_submit():
        abort(400)
    with service_call() as call:
        stations.delete_station(db.session, current_user, station)
    if call.refused:
        return redirect(url_for("stations.edit", station_id=station_id))
    flash(_("Station removed."), "success")
    return redirect(url_for("stations.index"))
