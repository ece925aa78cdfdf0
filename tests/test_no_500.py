"""No request ends in a 500: every route of the URL map, with malformed values in its path, its query
string and its form fields, sent by every kind of visitor (property-based, with Hypothesis).

The field names are every name a page's forms carry plus every query argument a view reads, so a new
form or argument is covered without a change here. Run on SQLite and, with TEST_DATABASE_URL, on
PostgreSQL, which refuses more (a NUL in text, integers past 2**31).
"""
import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from course.models import User
from course.services.users import hash_password
from tests.conftest import PASSWORD
from tests.test_access_matrix import ROLES, world  # noqa: F401 - the same people, cohorts, attempts and certificate

VIEWS = Path(__file__).resolve().parent.parent / "course" / "views"
#: Query and form arguments the views read by name (``request.args.get("page")`` and the like).
READ_BY_NAME = sorted(set(re.findall(r"""(?:args|form)\.get(?:list)?\(\s*["']([\w-]+)["']""",
                                     "\n".join(p.read_text() for p in VIEWS.glob("*.py")))))

NASTY = ["", " ", "\x00", "a\x00b", "9" * 25, "-1", "0", "1.5", "1e309", "nan", "NaN", "∞", "١٢", "%", "%00",
         "../../etc/passwd", "//evil.example", "<script>x</script>", "'; DROP TABLE users; --", "\u202e", "\ud7ff",
         "x" * 5000, "null", "[]", "{}", "true", "=1+2", "\t", "\r\n", "ar", "en", "officer", "admin", "csv", "xlsx"]
#: Stands for a real id or certificate code in a path, so that routes are also reached past their 404.
REAL = "\x01real"
malformed = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.integers().map(str))


def _routes(app):
    """(method, rule) for every route but static files."""
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def _field_names(clients, ids) -> list[str]:
    """Every form field name on the pages the administrator and the officer open, and every argument
    the views read by name."""
    names = set(READ_BY_NAME)
    pages = ["/", "/password", "/admin/people/new", f"/admin/people/{ids['officer']}", "/admin/import",
             f"/admin/cohorts/{ids['cohort_a']}", "/admin/cohorts", "/admin/course", "/admin/certificates",
             f"/trainer/officers/{ids['officer']}", f"/trainer/cohorts/{ids['cohort_a']}",
             f"/trainer/cohorts/{ids['cohort_a']}/items", f"/attempts/{ids['open_attempt']}", "/me",
             "/admin/stations", f"/admin/stations/{ids['station']}", "/admin/mail", "/reports/institute"]
    for client in (clients["admin"], clients["officer"]):
        for page in pages:
            names |= set(re.findall(r'name="([^"]+)"', client.get(page).get_data(as_text=True)))
    return sorted(names - {"csrf_token"})


def _path(rule: str, values: list[str], ids: dict) -> str:
    """The rule with each ``<…>`` replaced: a real id or code half the time, a malformed value otherwise."""
    parts = iter(values)

    def fill(match):
        value = next(parts)
        if value == REAL:
            return str(ids["certificate"] if "int:" not in match.group(0) else ids["officer"])
        return quote(value, safe="") or "x"
    return re.sub(r"<[^>]+>", fill, rule)


USERNAMES = {"officer": "officer-a", "other_officer": "officer-b", "trainer_a": "trainer-a", "trainer_b": "trainer-b",
             "admin": "root"}


@pytest.fixture
def fuzzing(world, session):  # noqa: F811 - the imported fixture
    """The world's clients, ids, routes and field names, and each visitor's user id (kept, since an
    example may rename or anonymise the account)."""
    ids, clients = world
    user_ids = {role: session.scalar(select(User.id).where(User.username == name)) for role, name in USERNAMES.items()}
    return ids, clients, user_ids, _routes(clients["admin"].application), _field_names(clients, ids)


def _signed_in_again(clients, user_ids, who: str, session) -> None:
    """Put back a visitor that an example signed out (a password reset, a deactivation, an anonymisation
    of their own account): the property is about errors, and a signed-out visitor reaches less."""
    if who == "anon" or clients[who].get("/me/data.json").status_code == 200:
        return
    session.execute(update(User).where(User.id == user_ids[who]).values(
        username=USERNAMES[who], is_active_account=True, must_change_password=False,
        password_hash=hash_password(PASSWORD)))
    session.commit()
    assert clients[who].post("/login", data={"username": USERNAMES[who], "password": PASSWORD}).status_code == 302


def _send(client, method: str, path: str, fields: dict):
    return client.get(path, query_string=fields) if method == "GET" else client.post(path, data=fields)


@settings(max_examples=int(os.environ.get("MARSA_NO_500_EXAMPLES", "250")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_route_answers_500_to_malformed_input(fuzzing, session, data):
    ids, clients, user_ids, routes, names = fuzzing
    method, rule = data.draw(st.sampled_from(routes), label="route")
    who = data.draw(st.sampled_from(ROLES), label="visitor")
    holes = rule.count("<")
    path = _path(rule, data.draw(st.lists(st.one_of(st.just(REAL), malformed), min_size=holes, max_size=holes),
                                 label="path values"), ids)
    fields = data.draw(st.dictionaries(st.sampled_from(names), st.one_of(malformed, st.lists(malformed, max_size=3)),
                                       max_size=6), label="fields")
    response = _send(clients[who], method, path, fields)
    assert response.status_code < 500, (method, path, fields, who, response.get_data(as_text=True)[:300])
    _signed_in_again(clients, user_ids, who, session)


def test_every_route_once_with_the_worst_values(fuzzing, session):
    """Each route at least once, whatever Hypothesis draws: as the administrator and as an officer, with
    every path value and every field huge, NUL-bearing or empty."""
    ids, clients, user_ids, routes, names = fuzzing
    for method, rule in routes:
        for value in ("9" * 25, "a\x00b", ""):
            for who in ("admin", "officer"):
                path = _path(rule, [value] * rule.count("<"), ids)
                response = _send(clients[who], method, path, dict.fromkeys(names, value))
                assert response.status_code < 500, (method, path, value, who)
                _signed_in_again(clients, user_ids, who, session)
