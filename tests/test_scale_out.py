"""Two app processes behind any load balancer share everything through the database and Redis:
a session, the rate limits and an attempt in progress move freely from one to the other."""
import re
import uuid

import pytest
from sqlalchemy import select

from course.answertokens import AnswerTokens
from course.models import AttemptAnswer, QuestionVersion
from tests.conftest import MINI_COURSE, PASSWORD
from tests.support.live import Browserish, free_port, start_server, stop_server

pytestmark = pytest.mark.needs_redis
SECRET = "shared-secret-for-both"


@pytest.fixture
def two_servers(database_url, mini_course, make_user):
    make_user(username="amal")
    make_user(username="target")
    env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "COURSE_DIR": str(MINI_COURSE),
           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    ports = [free_port(), free_port()]
    servers = [start_server(port, env) for port in ports]
    yield ports
    for server in servers:
        stop_server(server)


def test_session_and_attempt_carry_over_between_processes(two_servers, session):
    a, b = two_servers
    officer = Browserish()
    officer.get(a, "/login")
    status, headers, _ = officer.post(a, "/login", {"username": "amal", "password": PASSWORD})
    assert status == 302
    status, _, page = officer.get(b, "/")  # signed in on the other process
    assert status == 200 and "Test Amal" in page
    status, headers, _ = officer.post(b, "/quizzes/basics-quiz/start")
    attempt_path = headers["Location"]
    attempt_id = int(attempt_path.rsplit("/", 1)[1])
    _, _, page = officer.get(a, attempt_path)
    version = next(v for v in re.findall(r'data-question="(\d+)"', page)
                   if session.get(QuestionVersion, int(v)).type == "single")
    definition = session.get(QuestionVersion, int(version)).definition
    right = next(o["id"] for o in definition["options"] if o["correct"])
    value = AnswerTokens.from_secret(SECRET).token(attempt_id, int(version), "option", right)
    assert f'value="{value}"' in page  # both processes name the options alike
    status, _, body = officer.post(a, f"/attempts/{attempt_id}/answer",
                                   {"question": version, "seq": "1", f"q{version}": value},
                                   headers={"X-CSRFToken": officer.csrf})
    assert status == 200, body
    _, _, resumed = officer.get(b, attempt_path)
    assert re.search(rf'name="q{version}" value="{value}" checked', resumed)
    status, headers, _ = officer.post(b, f"/attempts/{attempt_id}/submit", {"confirmed": "1"})
    assert status == 302 and headers["Location"].endswith("/result")
    stored = session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id,
                                                        AttemptAnswer.question_version_id == int(version)))
    assert stored.response == right and stored.score == 1


def test_sign_in_rate_limit_is_shared_between_processes(two_servers):
    a, b = two_servers
    attacker = Browserish()
    statuses = []
    for attempt in range(9):
        port = (a, b)[attempt % 2]
        attacker.get(port, "/login")
        status, _, _ = attacker.post(port, "/login", {"username": "target", "password": "wrong-guess-123"})
        statuses.append(status)
    # 8 per account per 5 minutes in all: the ninth is refused whichever process answers it.
    assert statuses[:8] == [200] * 8 and statuses[8] == 429
