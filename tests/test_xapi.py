"""xAPI statements for a whole officer journey, checked against the specification's rules."""
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from course.interchange.xapi import VERBS, statements_since
from course.models import Lesson, Quiz
from course.services.attempts import save_answer, start_attempt, submit_attempt
from course.services.reading import mark_read

# Events are dated relative to this run, so the tests mean the same on any day.
NOW = datetime.now(UTC).replace(microsecond=0)

IRI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s]+$")
LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DURATION = re.compile(r"^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$")


def assert_language_map(value):
    assert isinstance(value, dict) and value
    for tag, text in value.items():
        assert LANG_TAG.match(tag) and isinstance(text, str)


def assert_valid_statement(statement: dict) -> None:
    """The xAPI 1.0.3 rules a Learning Record Store enforces on a statement (Data, section 2.4)."""
    assert uuid.UUID(statement["id"]).version == 5
    actor = statement["actor"]
    identifiers = [key for key in ("mbox", "mbox_sha1sum", "openid", "account") if key in actor]
    assert len(identifiers) == 1, "an Agent has exactly one inverse functional identifier"
    if "account" in actor:
        assert IRI.match(actor["account"]["homePage"]) and actor["account"]["name"]
    verb = statement["verb"]
    assert IRI.match(verb["id"]) and verb["id"] in VERBS.values()
    assert_language_map(verb["display"])
    activity = statement["object"]
    assert activity["objectType"] == "Activity" and IRI.match(activity["id"])
    assert IRI.match(activity["definition"]["type"])
    if "name" in activity["definition"]:
        assert_language_map(activity["definition"]["name"])
    assert ISO_STAMP.match(statement["timestamp"])
    assert statement["version"].startswith("1.0")
    result = statement.get("result")
    if result and "score" in result:
        score = result["score"]
        assert -1 <= score["scaled"] <= 1
        assert score["min"] <= score["raw"] <= score["max"]
    if result and "duration" in result:
        assert DURATION.match(result["duration"])
    context = statement.get("context", {})
    if "registration" in context:
        uuid.UUID(context["registration"])
    for parent in context.get("contextActivities", {}).get("parent", []):
        assert IRI.match(parent["id"])
    json.dumps(statement)  # serialisable as it is


def test_a_full_journey_produces_valid_statements(app, mini_course, make_user, session):
    officer = make_user(username="amal")
    began = NOW - timedelta(days=6)
    for lesson in session.scalars(select(Lesson)):
        mark_read(session, officer, lesson, began)
    quiz = session.scalar(select(Quiz))
    attempt = start_attempt(session, officer, quiz, began + timedelta(minutes=5))
    for answer, response in zip(attempt.answers, ("a", ["a", "b"], False)):
        save_answer(session, attempt, answer.question_version_id, response, 1, began + timedelta(minutes=6), 30)
    submit_attempt(session, attempt, began + timedelta(minutes=9), 30)
    session.commit()
    statements = list(statements_since(session, "https://marsa.example.org"))
    for statement in statements:
        assert_valid_statement(statement)
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]
    assert verbs.count("experienced") == 2 and verbs.count("attempted") == 1 and verbs.count("answered") == 3
    assert verbs.count("completed") == 1
    passed = [s for s in statements if s["verb"]["id"].endswith(("passed", "failed"))]
    assert len(passed) == 1 and passed[0]["verb"]["id"].endswith("passed")
    assert passed[0]["result"]["score"]["scaled"] == round(attempt.percent / 100, 4)
    assert passed[0]["object"]["id"] == "https://marsa.example.org/xapi/activities/assessment/basics-quiz"
    assert "Test" not in json.dumps(statements)  # no names: the actor is an account id
    # Building again gives the same statement ids: an LRS never receives a duplicate.
    again = [s["id"] for s in statements_since(session, "https://marsa.example.org")]
    assert again == [s["id"] for s in statements]
    later = list(statements_since(session, "https://marsa.example.org", began + timedelta(minutes=8)))
    assert {s["verb"]["id"].rsplit("/", 1)[1] for s in later} >= {"completed", "passed"}
    assert not any(s["verb"]["id"].endswith("experienced") for s in later)


def test_export_command_writes_json_lines(app, mini_course, make_user, session, tmp_path):
    officer = make_user(username="amal")
    read_on = (NOW - timedelta(days=5)).date()
    mark_read(session, officer, session.scalar(select(Lesson)), datetime.combine(read_on, datetime.min.time(),
                                                                                 UTC))
    session.commit()
    target = tmp_path / "statements.jsonl"
    day_before, day_after = (read_on - timedelta(days=1)).isoformat(), (read_on + timedelta(days=1)).isoformat()
    result = app.test_cli_runner().invoke(args=["export", "xapi", "--since", day_before, "-o", str(target),
                                                "--base-url", "https://marsa.example.org"])
    assert result.exit_code == 0, result.output
    lines = target.read_text().splitlines()
    assert len(lines) == 1
    assert_valid_statement(json.loads(lines[0]))
    none = app.test_cli_runner().invoke(args=["export", "xapi", "--since", day_after, "-o", str(target)])
    assert none.exit_code == 0 and target.read_text() == ""
    bad = app.test_cli_runner().invoke(args=["export", "xapi", "--since", "yesterday"])
    assert bad.exit_code == 2 and "use a date like" in bad.output


class FakeLRS:
    """A Learning Record Store on loopback that records what it receives; it can be told to fail."""

    def __init__(self):
        import http.server
        import threading
        self.received, self.failing, self.headers = [], False, []
        lrs = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                lrs.headers.append({k.lower(): v for k, v in self.headers.items()})
                if lrs.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                lrs.received.extend(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps([s["id"] for s in body]).encode())

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/xapi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def _send(runner):
    return runner.invoke(args=["xapi", "send"])


@pytest.fixture
def fake_lrs():
    lrs = FakeLRS()
    yield lrs
    lrs.close()


@pytest.fixture
def lrs_app(make_app, fake_lrs):
    return make_app(XAPI_LRS_ENDPOINT=fake_lrs.url, XAPI_LRS_USERNAME="marsa", XAPI_LRS_PASSWORD="secret",
                    PUBLIC_BASE_URL="https://marsa.example.org")


def _pause_over(session):
    from course.models import XapiOutboxEntry
    session.execute(XapiOutboxEntry.__table__.update().values(next_try_at=None))
    session.commit()


def test_statements_reach_the_lrs_once_even_when_it_was_down(lrs_app, fake_lrs, mini_course, make_user, session):
    from course.models import XapiOutboxEntry
    officer = make_user(username="amal")
    lessons = session.scalars(select(Lesson)).all()
    mark_read(session, officer, lessons[0], NOW - timedelta(hours=2))
    session.commit()
    runner = lrs_app.test_cli_runner()
    fake_lrs.failing = True  # the LRS is down: nothing is lost, the officer is never kept waiting
    down = _send(runner)
    assert down.exit_code == 1 and "1 event(s) waiting" in down.output
    assert session.scalar(select(XapiOutboxEntry.tries)) == 1
    _pause_over(session)
    mark_read(session, officer, lessons[1], NOW - timedelta(hours=1))
    session.commit()
    fake_lrs.failing = False
    up = _send(runner)
    assert up.exit_code == 0 and "2 delivered" in up.output, up.output
    again = _send(runner)
    assert "0 event(s) waiting" in again.output and "0 delivered" in again.output
    assert len(fake_lrs.received) == 2 and len({s["id"] for s in fake_lrs.received}) == 2
    for statement in fake_lrs.received:
        assert_valid_statement(statement)
    assert fake_lrs.headers[-1]["x-experience-api-version"] == "1.0.3"
    assert fake_lrs.headers[-1]["authorization"].startswith("Basic ")


def test_an_event_committed_late_and_dated_long_ago_is_delivered_exactly_once(
        lrs_app, fake_lrs, mini_course, make_user, session):
    """The old feed read rows newer than a clock watermark: a row written after the watermark had
    moved past its own date (a slow request, a restored backup, a clock step) was never sent."""
    officer = make_user(username="amal")
    lessons = session.scalars(select(Lesson)).all()
    runner = lrs_app.test_cli_runner()
    mark_read(session, officer, lessons[0], NOW)
    session.commit()
    assert "1 delivered" in _send(runner).output
    # Committed now, but dated two years before the delivery that already happened.
    mark_read(session, officer, lessons[1], NOW - timedelta(days=730))
    session.commit()
    assert "1 delivered" in _send(runner).output
    assert "0 delivered" in _send(runner).output
    lesson_ids = [s["object"]["id"].rsplit("/", 1)[1] for s in fake_lrs.received]
    assert sorted(lesson_ids) == sorted(lesson.key for lesson in lessons[:2])
    assert fake_lrs.received[1]["timestamp"].startswith(str((NOW - timedelta(days=730)).year))


class ProcessDied(BaseException):
    """The sender process dying mid-delivery (a BaseException, so no ``except Exception`` in the
    delivery code can swallow it; not KeyboardInterrupt, which pytest itself reacts to)."""


def test_a_crash_between_commit_and_delivery_loses_nothing_and_sends_nothing_twice(
        app, fake_lrs, mini_course, make_user, session):
    from course.extensions import db
    from course.services import lrs
    officer = make_user(username="amal")
    for lesson in session.scalars(select(Lesson)):
        mark_read(session, officer, lesson, NOW)
    session.commit()
    base = "https://marsa.example.org"

    def crash(*args):
        raise ProcessDied  # the process dies before the batch reaches the LRS

    with app.app_context():
        with pytest.raises(ProcessDied):
            lrs.deliver(db.session, base, fake_lrs.url, None, None, NOW, sender=crash)
        db.session.rollback()
        assert lrs.status(db.session).waiting == 2 and not fake_lrs.received

        accepted = []

        def accept_then_crash(endpoint, username, password, statements):
            lrs.post_statements(endpoint, username, password, statements)
            accepted.extend(statements)
            raise ProcessDied  # the LRS has them, but the outbox was not told

        with pytest.raises(ProcessDied):
            lrs.deliver(db.session, base, fake_lrs.url, None, None, NOW, sender=accept_then_crash)
        db.session.rollback()
        report = lrs.deliver(db.session, base, fake_lrs.url, None, None, NOW)
        assert report.sent == 2 and lrs.status(db.session).waiting == 0
    # Sent again after the crash, with the same ids: the LRS stores each statement once.
    assert len(fake_lrs.received) == 4 and len({s["id"] for s in fake_lrs.received}) == 2


def _quiz_attempt(session, officer, quiz, minutes=0):
    attempt = start_attempt(session, officer, quiz, NOW + timedelta(minutes=minutes))
    for answer, response in zip(attempt.answers, ("a", ["a", "b"], False)):
        save_answer(session, attempt, answer.question_version_id, response, 1,
                    NOW + timedelta(minutes=minutes + 1), 30)
    submit_attempt(session, attempt, NOW + timedelta(minutes=minutes + 2), 30)
    session.commit()
    return attempt


def _verbs(statements):
    return sorted(s["verb"]["id"].rsplit("/", 1)[1] for s in statements)


def test_a_withheld_result_reaches_the_lrs_when_it_is_released(lrs_app, fake_lrs, mini_course, make_user, session):
    from course.models import Role
    from course.services.releases import release
    officer, trainer = make_user(username="amal"), make_user(Role.TRAINER, username="tamer")
    quiz = session.scalar(select(Quiz))
    quiz.settings = {**quiz.settings, "show_feedback": "when_released"}
    session.commit()
    _quiz_attempt(session, officer, quiz)
    runner = lrs_app.test_cli_runner()
    _send(runner)
    # Started and completed, but no score, no verdict, no graded answer before the release.
    assert _verbs(fake_lrs.received) == ["attempted", "completed"]
    assert all("score" not in s.get("result", {}) and "success" not in s.get("result", {})
               for s in fake_lrs.received)
    release(session, trainer, quiz, None, NOW + timedelta(days=1))
    session.commit()
    _send(runner)
    assert _verbs(fake_lrs.received) == ["answered"] * 3 + ["attempted", "completed", "passed"]
    assert "0 delivered" in _send(runner).output


def test_a_regrade_sends_the_corrected_result(lrs_app, fake_lrs, mini_course, make_user, session):
    from course.models import Question, QuestionVersion, Role
    from course.services.regrade import apply_regrade
    officer, admin = make_user(username="amal"), make_user(Role.ADMIN, username="root")
    quiz = session.scalar(select(Quiz))
    attempt = _quiz_attempt(session, officer, quiz)
    runner = lrs_app.test_cli_runner()
    _send(runner)
    before = [s for s in fake_lrs.received if s["verb"]["id"].endswith(("passed", "failed"))]
    question = session.scalar(select(Question).where(Question.key == "b-q1"))
    version = question.current_version
    definition = {**version.definition, "options": [{**o, "correct": o["id"] == "b"}
                                                    for o in version.definition["options"]]}
    corrected = QuestionVersion(question_id=question.id, number=version.number + 1, type=version.type,
                                definition=definition,
                                content_hash="corrected")
    session.add(corrected)
    session.flush()
    question.current_version_id = corrected.id
    session.commit()
    session.expire(question)
    apply_regrade(session, admin, question, NOW + timedelta(days=1))
    session.commit()
    _send(runner)
    after = [s for s in fake_lrs.received if s["verb"]["id"].endswith(("passed", "failed"))]
    assert len(after) == 2 and after[1]["id"] != before[0]["id"]
    assert after[1]["result"]["score"]["raw"] == session.get(type(attempt), attempt.id).score
    assert after[1]["result"]["score"]["raw"] < before[0]["result"]["score"]["raw"]


def test_the_administrator_sees_the_backlog_and_the_last_error(lrs_app, fake_lrs, mini_course, make_user, session,
                                                              login):
    from course.models import Role
    officer = make_user(username="amal")
    make_user(Role.ADMIN, username="root")
    mark_read(session, officer, session.scalar(select(Lesson)), NOW)
    session.commit()
    fake_lrs.failing = True
    _send(lrs_app.test_cli_runner())
    client = lrs_app.test_client()
    login(client, "root")
    page = client.get("/admin/xapi").get_data(as_text=True)
    assert "Events waiting</dt><dd>1<" in page.replace("\n", "")
    assert "503" in page and fake_lrs.url in page


def test_installations_without_a_public_address_never_share_statement_ids(app, mini_course, make_user, session):
    """Two unrelated installations, both without PUBLIC_BASE_URL and with the same row ids, describe
    different events: their actors, activity ids and statement ids must differ."""
    from course.models import Setting
    from course.services import site
    officer = make_user(username="amal")
    mark_read(session, officer, session.scalars(select(Lesson)).first(), datetime.now(UTC))
    session.commit()

    def export() -> list[dict]:
        base = site.xapi_base(session, None)
        session.commit()
        return list(statements_since(session, base))
    first = export()
    assert first and export() == first  # the same installation always gives the same ids
    assert "localhost" not in json.dumps(first)
    session.delete(session.get(Setting, site.INSTALLATION_ID))  # another installation, same rows
    session.commit()
    second = export()
    assert {s["id"] for s in first}.isdisjoint(s["id"] for s in second)
    assert first[0]["actor"] != second[0]["actor"] and first[0]["object"]["id"] != second[0]["object"]["id"]
    for statement in first + second:
        assert_valid_statement(statement)
    published = list(statements_since(session, site.xapi_base(session, "https://marsa.example.org")))
    assert published[0]["object"]["id"].startswith("https://marsa.example.org/xapi/activities/")


def test_statements_carry_the_language_the_attempt_was_taken_in(lrs_app, fake_lrs, mini_course, make_user, session):
    """An attempt answered in Arabic is reported as Arabic (context.language), whatever the officer's
    interface preference; an English attempt as en-US; a lesson read in the officer's language."""
    quiz = session.scalar(select(Quiz))
    arabic = make_user(username="amal", language="en")
    english = make_user(username="omar", language="ar")
    mark_read(session, english, session.scalars(select(Lesson)).first(), NOW)
    for officer, language in ((arabic, "ar"), (english, "en")):
        attempt = start_attempt(session, officer, quiz, NOW, language=language)
        for answer, response in zip(attempt.answers, ("a", ["a", "b"], False)):
            save_answer(session, attempt, answer.question_version_id, response, 1, NOW + timedelta(minutes=1), 30)
        submit_attempt(session, attempt, NOW + timedelta(minutes=2), 30)
    session.commit()
    _send(lrs_app.test_cli_runner())
    exported = list(statements_since(session, "https://marsa.example.org"))
    for statements in (fake_lrs.received, exported):
        by_actor = {}
        for statement in statements:
            assert_valid_statement(statement)
            key = (statement["actor"]["account"]["name"], statement["verb"]["id"].rsplit("/", 1)[1])
            by_actor.setdefault(key, set()).add(statement["context"]["language"])
        assert by_actor[(str(arabic.id), "attempted")] == {"ar"}
        assert by_actor[(str(arabic.id), "completed")] == {"ar"}
        assert by_actor[(str(english.id), "attempted")] == {"en-US"}
        assert by_actor[(str(english.id), "experienced")] == {"ar"}
        assert by_actor[(str(arabic.id), "answered")] == {"ar"}
        results = {k[0]: v for k, v in by_actor.items() if k[1] in ("passed", "failed")}
        assert results == {str(arabic.id): {"ar"}, str(english.id): {"en-US"}}
