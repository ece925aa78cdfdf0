"""xAPI statements for a whole officer journey, checked against the specification's rules."""
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from course.models import Lesson, Quiz
from course.services.attempts import save_answer, start_attempt, submit_attempt
from course.services.progress import mark_read
from course.xapi import VERBS, statements_since

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
    began = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
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
    mark_read(session, officer, session.scalar(select(Lesson)), datetime(2026, 12, 2, tzinfo=timezone.utc))
    session.commit()
    target = tmp_path / "statements.jsonl"
    result = app.test_cli_runner().invoke(args=["export", "xapi", "--since", "2026-12-01", "-o", str(target),
                                                "--base-url", "https://marsa.example.org"])
    assert result.exit_code == 0, result.output
    lines = target.read_text().splitlines()
    assert len(lines) == 1
    assert_valid_statement(json.loads(lines[0]))
    none = app.test_cli_runner().invoke(args=["export", "xapi", "--since", "2026-12-03", "-o", str(target)])
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


def test_statements_reach_the_lrs_once_even_when_it_was_down(make_app, mini_course, make_user, session):
    from course.models import XapiOutboxEntry
    lrs = FakeLRS()
    try:
        app = make_app(XAPI_LRS_ENDPOINT=lrs.url, XAPI_LRS_USERNAME="marsa", XAPI_LRS_PASSWORD="secret",
                       XAPI_BASE_URL="https://marsa.example.org")
        officer = make_user(username="amal")
        lessons = session.scalars(select(Lesson)).all()
        # `xapi send` reads the clock: the events are dated relative to it (a later reading is
        # collected only if it came after the previous collection, less the overlap).
        mark_read(session, officer, lessons[0], datetime.now(timezone.utc) - timedelta(hours=1))
        session.commit()
        runner = app.test_cli_runner()
        lrs.failing = True  # the LRS is down: nothing is lost, the officer is never kept waiting
        down = runner.invoke(args=["xapi", "send"])
        assert down.exit_code == 1 and "1 new statement(s)" in down.output
        assert session.scalar(select(XapiOutboxEntry.tries)) == 1
        session.execute(XapiOutboxEntry.__table__.update().values(next_try_at=None))  # the pause is over
        mark_read(session, officer, lessons[1], datetime.now(timezone.utc))
        session.commit()
        lrs.failing = False
        up = runner.invoke(args=["xapi", "send"])
        assert up.exit_code == 0 and "2 delivered" in up.output, up.output
        again = runner.invoke(args=["xapi", "send"])
        assert "0 new statement(s)" in again.output and "0 delivered" in again.output
        assert len(lrs.received) == 2 and len({s["id"] for s in lrs.received}) == 2
        for statement in lrs.received:
            assert_valid_statement(statement)
        assert lrs.headers[-1]["x-experience-api-version"] == "1.0.3"
        assert lrs.headers[-1]["authorization"].startswith("Basic ")
    finally:
        lrs.close()


def test_installations_without_a_public_address_never_share_statement_ids(app, mini_course, make_user, session):
    """Two unrelated installations, both without PUBLIC_BASE_URL and with the same row ids, describe
    different events: their actors, activity ids and statement ids must differ."""
    from course.models import Setting
    from course.services import site
    officer = make_user(username="amal")
    mark_read(session, officer, session.scalars(select(Lesson)).first(), datetime.now(timezone.utc))
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
