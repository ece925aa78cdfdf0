"""WTForms forms. Every form carries a CSRF token (Flask-WTF)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from course.services import timezones


class EmptyForm(FlaskForm):
    """A button-only form: nothing to fill in, but the CSRF token still travels."""

    submit = SubmitField(_l("Submit"))


SEX_CHOICES = [("", _l("Not stated")), ("female", _l("Female")), ("male", _l("Male")),
               ("prefer_not_to_say", _l("Prefer not to say"))]


def _choice(value) -> str:
    """A select's value from a model's attribute (None: "", a station: its id, an enum: its value)."""
    if value is None:
        return ""
    return str(value.id) if hasattr(value, "id") else str(value)


def _none_as_empty(value):
    """WTForms does not coerce a missing value: None (not stated, no station) is the "" choice."""
    return "" if value is None else value


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Language"), choices=["en", "ar"])
    submit = SubmitField(_l("Switch"))


class PersonForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    staff_number = StringField(_l("Staff number"), validators=[Optional(), Length(max=40)])
    #: Choices (the duty stations list) are set by the view; "" is no station.
    duty_station = SelectField(_l("Duty station"), choices=[], default="", coerce=_choice,
                               filters=[_none_as_empty])
    sex = SelectField(_l("Sex (self-declared)"), choices=SEX_CHOICES, default="", coerce=_choice,
                      filters=[_none_as_empty])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[("officer", _l("Officer")), ("trainer", _l("Trainer")),
                                            ("admin", _l("Administrator"))])
    language = SelectField(_l("Language"), choices=[("en", "English"), ("ar", "العربية")])
    active = BooleanField(_l("Account active"), default=True)
    submit = SubmitField(_l("Save"))


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])
    submit = SubmitField(_l("Upload and preview"))


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    archived = BooleanField(_l("Archived"))
    submit = SubmitField(_l("Save"))


class MembersForm(FlaskForm):
    people = TextAreaField(_l("Staff numbers or usernames, one per line"), validators=[DataRequired()])
    submit = SubmitField(_l("Add to cohort"))


class TrainerForm(FlaskForm):
    trainer = SelectField(_l("Trainer"), coerce=int, choices=[])
    submit = SubmitField(_l("Add trainer"))


class AssignmentForm(FlaskForm):
    module = SelectField(_l("Module"), choices=[])
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    due_on = DateField(_l("Due date"), validators=[Optional()])
    submit = SubmitField(_l("Assign"))


class OverrideForm(FlaskForm):
    quiz = SelectField(_l("Quiz"), choices=[])
    percent = FloatField(_l("Grade (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=5, max=1000)])
    submit = SubmitField(_l("Override grade"))


class GrantAttemptForm(FlaskForm):
    quiz = SelectField(_l("Quiz"), choices=[])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=5, max=1000)])
    submit = SubmitField(_l("Grant one more attempt"))


class SettingsForm(FlaskForm):
    institute_en = StringField(_l("Institute name (English)"), validators=[DataRequired(), Length(max=200)],
                               render_kw={"lang": "en", "dir": "ltr", "autocomplete": "organization"})
    institute_ar = StringField(_l("Institute name (Arabic)"), validators=[DataRequired(), Length(max=200)],
                               render_kw={"lang": "ar", "dir": "rtl", "autocomplete": "organization"})
    show_unassigned = BooleanField(_l("Officers also see modules not assigned to them"))
    time_zone = SelectField(_l("Time zone"), choices=[(name, name) for name in timezones.CHOICES],
                            description=_l("Dates and times are shown in this zone, and a due date ends at 23:59 "
                                           "there."))
    submit = SubmitField(_l("Save"))


class ProfileForm(FlaskForm):
    sex = SelectField(_l("Sex"), choices=SEX_CHOICES, default="")
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)],
                        render_kw={"autocomplete": "email", "inputmode": "email"})
    submit = SubmitField(_l("Save"))


class StationForm(FlaskForm):
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    name_ar = StringField(_l("Name in Arabic"), validators=[Optional(), Length(max=120)],
                          render_kw={"lang": "ar", "dir": "rtl"})
    kind = SelectField(_l("Kind"), choices=[])
    submit = SubmitField(_l("Save"))


class MailSettingsForm(FlaskForm):
    host = StringField(_l("SMTP server"), validators=[Optional(), Length(max=253)])
    port = IntegerField(_l("Port"), validators=[Optional(), NumberRange(min=1, max=65535)])
    sender = StringField(_l("Sender address"), validators=[Optional(), Length(max=254)])
    security = SelectField(_l("Encryption"), choices=[("starttls", _l("STARTTLS")), ("tls", _l("TLS from the start")),
                                                      ("none", _l("None (local relay only)"))])
    username = StringField(_l("User name (if the server asks for one)"), validators=[Optional(), Length(max=254)])
    submit = SubmitField(_l("Save"))
