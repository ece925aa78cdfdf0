"""Accounts: creating people, checking passwords, changing them."""
from __future__ import annotations

import re
import secrets
from functools import lru_cache

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from course.config import PASSWORD_HASH_METHOD
from course.models import DutyStation, Role, Sex, User
from course.models.people import new_session_token
from course.services import audit
from course.services.errors import ServiceError

MIN_PASSWORD_LENGTH = 10
#: zxcvbn's score (0 to 4) a new password must reach: 3 is "safely unguessable: moderate protection
#: from an offline slow-hash scenario" (about 10^8 guesses and up), which online guessing at a few
#: tries per account can never approach.
MIN_PASSWORD_SCORE = 3
#: zxcvbn refuses longer input (its matching grows quickly with length); the rest of a longer password
#: only adds to its strength.
_SCORED_LENGTH = 72
_REPEATED = re.compile(r"^(.+?)\1+$", re.DOTALL)

def _hash_method() -> str:
    """The configured scrypt cost: production's full cost (course.config refuses less there); the
    test configuration lowers it, since the suite signs in thousands of times."""
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else PASSWORD_HASH_METHOD


# Checked even when the user does not exist, so a wrong username costs the same time as a
# wrong password and does not reveal which accounts exist.
@lru_cache(maxsize=2)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)  # made on first use: start-up stays quick


def _is_sequence(text: str) -> bool:
    """``abcdefghij``, ``0123456789``, ``9876543210``: each character one after (or before) the last."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return len(steps) == 1 and steps <= {1, -1}


def password_problem(password: str, username: str = "", full_name: str = ""):
    """Why ``password`` is not acceptable (a lazy string), or None.

    Besides the length, zxcvbn estimates how many guesses the password would take, knowing common
    passwords, names, dictionary words, keyboard patterns, dates, repeats and sequences, and the
    person's own username and name; the plain repeats and sequences are named on their own."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    lowered = password.lower()
    if _REPEATED.match(lowered):
        return _l("This password repeats the same characters. Choose one that does not.")
    if _is_sequence(lowered):
        return _l("This password is a sequence (like abcdef or 123456). Choose one that is not.")
    if username and username.lower() in lowered:
        return _l("This password is too easy to guess. Choose a less common one.")
    hints = [word for word in (username, *full_name.split(), "marsa") if word]
    # Imported here, where a password is set: zxcvbn's word lists hold about 13 MiB, which every
    # server process would otherwise carry from start-up (docs/PERFORMANCE.md, "Serving").
    from zxcvbn import zxcvbn
    if zxcvbn(password[:_SCORED_LENGTH], user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        return _l("This password is too easy to guess. Choose a less common one.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_hash_method())


def normalise_username(username: str) -> str:
    """A username as accounts are looked up: case and surrounding white space do not count."""
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == normalise_username(username)))


def search_people(session: Session, search: str, role: str, page: int, per_page: int) -> tuple[list[User], int]:
    """One page of people by name whose name, username or staff number contains ``search`` (any
    case) and whose role is ``role`` (any role when it is none), and how many match in all."""
    query = select(User).order_by(User.full_name)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(func.lower(User.full_name).like(pattern), func.lower(User.username).like(pattern),
                                func.lower(User.staff_number).like(pattern)))
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return list(session.scalars(query.limit(per_page).offset((page - 1) * per_page))), total


def find_by_key(session: Session, key: str) -> User | None:
    """The person a list of people names by staff number or (any case) username."""
    return session.scalar(select(User).where(or_(User.staff_number == key, func.lower(User.username) == key.lower())))


def active_staff(session: Session) -> list[User]:
    """Active trainers and administrators, by name: who may train a cohort."""
    return list(session.scalars(select(User).where(User.role.in_((Role.TRAINER, Role.ADMIN)),
                                                   User.is_active_account.is_(True)).order_by(User.full_name)))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id)))


def count_active_admins(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN, User.is_active_account))


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = find_user(session, username)
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active_account:
        return None
    return user


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_sex(value) -> Sex | None:
    """A sex as stored: one of ``Sex``; empty means not stated."""
    if value is None or value == "":
        return None
    try:
        return Sex(value)
    except ValueError:
        raise ServiceError(_l("'%(value)s' is not one of: female, male, prefer_not_to_say (or leave it empty).",
                              value=str(value)[:40]), "sex") from None


def parse_email(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ServiceError(_l("'%(value)s' is not an e-mail address.", value=value[:60]), "email")
    return value


def set_own_details(session: Session, user: User, *, sex, email) -> dict:
    """What a person may change about themselves (the profile page); audited without the values,
    which the audit log's readers do not need to see."""
    wanted = {"sex": parse_sex(sex), "email": parse_email(email)}
    changes = {k: v for k, v in wanted.items() if getattr(user, k) != v}
    for key, value in changes.items():
        setattr(user, key, value)
    if changes:
        audit.record(session, user, "user.profile", "user", user.id, changed=sorted(changes))
    session.flush()
    return changes


def create_user(session: Session, *, username: str, password: str, role: Role, full_name: str,
                staff_number: str | None = None, duty_station: DutyStation | None = None, language: str = "en",
                sex: Sex | str | None = None, email: str | None = None,
                must_change_password: bool = False, check_policy: bool = True) -> User:
    username = username.strip()
    if not username or len(username) > 80:
        raise ServiceError(_l("A username of 1 to 80 characters is required."), "username")
    if find_user(session, username):
        raise ServiceError(_l("The username '%(username)s' is already taken.", username=username), "username")
    if staff_number and session.scalar(select(User).where(User.staff_number == staff_number)):
        raise ServiceError(_l("Staff number %(number)s already belongs to someone.", number=staff_number),
                           "staff_number")
    if check_policy:
        problem = password_problem(password, username, full_name)
        if problem:
            raise ServiceError(problem, "password")
    if not full_name.strip():
        raise ServiceError(_l("The full name is required."), "full_name")
    user = User(username=username, password_hash=hash_password(password), role=Role(role),
                full_name=full_name.strip(), staff_number=staff_number or None, duty_station=duty_station,
                sex=parse_sex(sex), email=parse_email(email), language=language if language in ("en", "ar") else "en", must_change_password=must_change_password)
    session.add(user)
    session.flush()
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ServiceError(_l("The current password is not correct."), "current_password")
    if current == new:
        raise ServiceError(_l("Choose a password different from the current one."), "new_password")
    problem = password_problem(new, user.username, user.full_name)
    if problem:
        raise ServiceError(problem, "new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    # A new token in the login cookie signs the user out of every other device.
    user.session_token = new_session_token()
    session.flush()


def one_time_password() -> str:
    return "-".join(secrets.token_hex(3) for _ in range(3))


def update_person(session: Session, actor: User, person: User, *, username: str, full_name: str,
                  staff_number: str | None, duty_station: DutyStation | None, role: Role, language: str,
                  active: bool, sex: Sex | str | None = None, email: str | None = None) -> dict:
    """Change an account's details; returns what changed (also written to the audit log)."""
    username, full_name = username.strip(), full_name.strip()
    staff_number = (staff_number or "").strip() or None
    holder = find_user(session, username)
    if holder is not None and holder.id != person.id:
        raise ServiceError(_l("The username '%(username)s' is already taken.", username=username), "username")
    if staff_number:
        other = session.scalar(select(User).where(User.staff_number == staff_number))
        if other is not None and other.id != person.id:
            raise ServiceError(_l("Staff number %(number)s already belongs to %(name)s.", number=staff_number,
                                  name=other.full_name), "staff_number")
    if not full_name:
        raise ServiceError(_l("The full name is required."), "full_name")
    if person.id == actor.id and (not active or role != Role.ADMIN):
        raise ServiceError(_l("You cannot remove your own administrator access."), "role")
    wanted = {"username": username, "full_name": full_name, "staff_number": staff_number,
              "duty_station": duty_station, "role": Role(role), "sex": parse_sex(sex), "email": parse_email(email),
              "language": language if language in ("en", "ar") else "en", "is_active_account": active}
    changes = {k: v for k, v in wanted.items() if getattr(person, k) != v}
    for key, value in changes.items():
        setattr(person, key, value)
    if "is_active_account" in changes and not active:
        person.session_token = new_session_token()  # a deactivated account is signed out everywhere
    if changes:
        audit.record(session, actor, "user.deactivate" if changes.get("is_active_account") is False else "user.update",
                     "user", person.id, **{k: _audited(v) for k, v in changes.items()})
    session.flush()
    return changes


def _audited(value):
    """A changed field as the audit log keeps it: a duty station by its name; empty and yes/no
    values as they are (the log reads them back as "—", "yes" and "no"); the rest as text."""
    if isinstance(value, DutyStation):
        return value.name_en
    return value if value is None or isinstance(value, bool) else str(value)


def reset_password(session: Session, actor: User, person: User) -> str:
    """Give the person a one-time password, to be changed at the next sign-in."""
    password = one_time_password()
    person.password_hash = hash_password(password)
    person.must_change_password = True
    person.session_token = new_session_token()
    audit.record(session, actor, "user.password_reset", "user", person.id, username=person.username)
    session.flush()
    return password
