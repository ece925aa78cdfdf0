"""Quiz engine depth: presets, time limits, scenario groups, resuming after a restart, regrading."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from course.models import Attempt, AttemptAnswer, AttemptState, AuditEntry, Question, QuestionVersion, Quiz, Role
from course.models.content import text_in
from course.services.attempts import save_answer, start_attempt, submit_attempt
from course.services.errors import ServiceError
from tests.conftest import load_package, page_value

EXTRA_QUIZ = """id: drills-quiz
module: drills
title: Drills
preset: {preset}
{extra}
questions:
  - id: d-group
    type: group
    case: A minibus reaches Salloum with six passengers and one passport holder.
    questions:
      - id: d-g1
        type: truefalse
        objectives: [D1.1]
        stem: The driver holding every passport is an indicator to note.
        answer: true
        explanation: Holding others' documents is a recognised indicator.
      - id: d-g2
        type: single
        objectives: [D1.1]
        stem: What do you do first?
        options:
          - {{id: a, text: Separate and refer, correct: true}}
          - {{id: b, text: Wave them through, feedback: No.}}
        explanation: Separate, note, refer.
  - id: d-order
    type: ordering
    objectives: [D1.1]
    stem: Put the steps in order.
    items: [{{id: s1, text: Identify}}, {{id: s2, text: Refer}}, {{id: s3, text: Protect}}]
    explanation: Identification comes first.
  - id: d-match
    type: matching
    objectives: [D1.1]
    stem: Match each term.
    pairs:
      - {{id: p1, prompt: Refugee, match: 1951 Convention}}
      - {{id: p2, prompt: Stateless person, match: 1954 Convention}}
    distractors: [Palermo Protocol]
    explanation: Each has its instrument.
  - id: d-short
    type: short
    objectives: [D1.1]
    stem: The principle that bars return to persecution?
    accept: [non-refoulement, عدم الإعادة القسرية]
    explanation: Non-refoulement.
  - id: d-num
    type: numeric
    objectives: [D1.1]
    stem: Under what age is a person a child?
    answer: 18
    explanation: Under 18.
"""

DRILLS_MODULE = """id: drills
order: 2
title: Drills
summary: Drills for tests.
minutes: 5
objectives:
  - id: D1.1
    text: Act on indicators.
"""


@pytest.fixture
def drills(app, course_copy):
    def load(preset="practice", extra=""):
        folder = course_copy / "modules/02-drills"
        folder.mkdir(exist_ok=True)
        (folder / "module.yaml").write_text(DRILLS_MODULE)
        (folder / "01-only.en.md").write_text("---\nid: drills-only\ntitle: Only\nminutes: 1\n---\n\nText.\n")
        (course_copy / "quizzes/drills.yaml").write_text(EXTRA_QUIZ.format(preset=preset, extra=extra))
        load_package(app, course_copy)
    return load


@pytest.fixture
def officer(make_user):
    return make_user(username="amal")


def start(client, key):
    response = client.post(f"/quizzes/{key}/start")
    return int(response.headers["Location"].rsplit("/", 1)[1])


def version_of(session, attempt_id, key):
    for answer in session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)):
        if answer.question_version.definition["id"] == key:
            return answer.question_version_id
    raise KeyError(key)


def tok(client, attempt_id, version, item, kind="option"):
    """What the attempt page calls ``item`` of question version ``version``."""
    return page_value(client.application, attempt_id, version, item, kind)


def test_every_question_type_through_the_form(client, drills, officer, login, session):
    drills()
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count("A minibus reaches Salloum") == 1  # the group's case is shown once
    v = {key: version_of(session, attempt_id, key) for key in ("d-g1", "d-g2", "d-order", "d-match", "d-short", "d-num")}
    item = lambda key, item_id, kind="option": tok(client, attempt_id, v[key], item_id, kind)  # noqa: E731
    form = {f"q{v['d-g1']}": "true", f"q{v['d-g2']}": item("d-g2", "a"),
            f"q{v['d-order']}-{item('d-order', 's1', 'item')}": "1",
            f"q{v['d-order']}-{item('d-order', 's2', 'item')}": "2",
            f"q{v['d-order']}-{item('d-order', 's3', 'item')}": "3",
            f"q{v['d-match']}-{item('d-match', 'p1', 'prompt')}": item("d-match", "p1", "match"),
            f"q{v['d-match']}-{item('d-match', 'p2', 'prompt')}": item("d-match", "x1", "match"),
            f"q{v['d-short']}": "عدم الاعاده القسريه", f"q{v['d-num']}": "18"}
    client.post(f"/attempts/{attempt_id}/submit", data=form)
    attempt = session.get(Attempt, attempt_id)
    scores = {a.question_version.definition["id"]: a.score for a in attempt.answers}
    assert scores == {"d-g1": 1, "d-g2": 1, "d-order": 1, "d-match": 0.5, "d-short": 1, "d-num": 1}
    assert attempt.percent == pytest.approx(91.67)
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Correct answer:" in result  # practice: answers after each submission


def test_scenario_group_stays_together_when_shuffled(app, drills, officer, session):
    drills(preset="graded")
    quiz = session.scalar(select(Quiz).where(Quiz.key == "drills-quiz"))
    for seed in range(1, 12):
        attempt = start_attempt(session, officer, quiz, datetime.now(UTC), seed=seed)
        keys = [a.question_version.definition["id"] for a in attempt.answers]
        position = keys.index("d-g1")
        assert keys[position + 1] == "d-g2"
        submit_attempt(session, attempt, datetime.now(UTC), 30)
        session.commit()
        if attempt.number == 3:
            break


def test_practice_allows_unlimited_attempts(client, drills, officer, login):
    drills(preset="practice")
    login(client, "amal")
    for _ in range(5):
        attempt_id = start(client, "drills-quiz")
        client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    assert "Unlimited" in client.get("/quizzes/drills-quiz").get_data(as_text=True)


def test_exam_allows_one_timed_attempt_and_withholds_results(client, drills, officer, login, session):
    drills(preset="exam", extra="time_limit_minutes: 20")
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    attempt = session.get(Attempt, attempt_id)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=20)
    assert "Time limit" in client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    client.post(f"/attempts/{attempt_id}/submit", data={"confirmed": "1"})
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Your trainer will release the results" in result and "Correct answer:" not in result
    assert "%" not in re.sub(r"<[^>]+>", "", result.split('id="main"')[1].split("</main>")[0])
    response = client.post("/quizzes/drills-quiz/start", follow_redirects=True)
    assert "used all the attempts" in response.get_data(as_text=True)


def test_late_answer_is_refused_and_expired_attempt_graded_on_saved_answers(app, drills, officer, session):
    drills(preset="exam", extra="time_limit_minutes: 10")
    quiz = session.scalar(select(Quiz).where(Quiz.key == "drills-quiz"))
    began = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    attempt = start_attempt(session, officer, quiz, began)
    numeric = next(a for a in attempt.answers if a.question_version.definition["id"] == "d-num")
    single = next(a for a in attempt.answers if a.question_version.definition["id"] == "d-g2")
    save_answer(session, attempt, numeric.question_version_id, "18", 1, began + timedelta(minutes=5), 30)
    # Inside the grace period: still counted.
    save_answer(session, attempt, single.question_version_id, "a", 1, began + timedelta(minutes=10, seconds=20), 30)
    with pytest.raises(ServiceError, match="Time is up"):
        save_answer(session, attempt, single.question_version_id, "b", 2, began + timedelta(minutes=11), 30)
    assert attempt.state == AttemptState.EXPIRED
    assert attempt.score == 2.0 and single.response == "a"
    # Submitting afterwards changes nothing.
    submit_attempt(session, attempt, began + timedelta(minutes=12), 30, {single.question_version_id: "b"})
    assert attempt.score == 2.0


def test_illegal_transition_is_refused(app, drills, officer, session):
    from course.models import IllegalTransition
    drills()
    quiz = session.scalar(select(Quiz).where(Quiz.key == "drills-quiz"))
    attempt = start_attempt(session, officer, quiz, datetime.now(UTC))
    attempt.submit(datetime.now(UTC))
    with pytest.raises(IllegalTransition):
        attempt.expire(datetime.now(UTC))


def test_one_open_attempt_per_officer_and_quiz_is_a_database_rule(app, drills, officer, session):
    from sqlalchemy.exc import IntegrityError
    drills()
    quiz = session.scalar(select(Quiz).where(Quiz.key == "drills-quiz"))
    start_attempt(session, officer, quiz, datetime.now(UTC))
    session.commit()
    session.add(Attempt(user_id=officer.id, quiz_id=quiz.id, number=2, seed=1, state=AttemptState.IN_PROGRESS))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_attempt_resumes_after_the_app_process_restarts(make_app, mini_course, officer, login, session):
    first = make_app()
    client = first.test_client()
    login(client, "amal")
    attempt_id = start(client, "basics-quiz")
    version = version_of(session, attempt_id, "b-q1")
    chosen = tok(client, attempt_id, version, "a")
    client.post(f"/attempts/{attempt_id}/answer", data={"question": version, "seq": 1, f"q{version}": chosen})
    page_before = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # A new process: nothing survives but the database and the officer's cookie.
    second = make_app()
    resumed = second.test_client()
    resumed.set_cookie("session", client.get_cookie("session").value)
    page_after = resumed.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    def without_tokens(page):  # a form token is signed with the time it was made
        return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", page)
    assert without_tokens(page_after) == without_tokens(page_before)
    assert re.search(rf'name="q{version}" value="{chosen}" checked', page_after)


def test_regrade_dry_run_then_apply(app, client, course_copy, make_user, login, session):
    load_package(app, course_copy)
    amal = make_user(username="amal")
    admin = make_user(Role.ADMIN, username="boss")
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    attempt = start_attempt(session, amal, quiz, datetime.now(UTC))
    for answer in attempt.answers:
        if answer.question_version.definition["id"] == "b-q1":
            answer.response = "b"  # wrong under the original key
    submit_attempt(session, attempt, datetime.now(UTC), 30)
    session.commit()
    assert attempt.score == 0
    # The key was wrong: b is the right answer. Publish the correction.
    path = course_copy / "quizzes/basics.yaml"
    text = path.read_text().replace("        text: A refugee\n        correct: true", "        text: A refugee")
    text = text.replace("        text: A migrant\n", "        text: A migrant\n        correct: true\n")
    path.write_text(text)
    load_package(app, course_copy)
    login(client, "boss")
    dry = client.get("/trainer/questions/b-q1/regrade").get_data(as_text=True)
    assert "0 → 1" in dry and "0% → 33%" in dry
    session.expire_all()
    assert session.get(Attempt, attempt.id).score == 0  # a dry run changes nothing
    client.post("/trainer/questions/b-q1/regrade")
    session.expire_all()
    regraded = session.get(Attempt, attempt.id)
    assert regraded.score == 1 and regraded.percent == pytest.approx(33.33)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "question.regrade"))
    assert entry.details["attempts"] == 1 and entry.actor_id == admin.id
    # The officer still sees the version they answered.
    version = session.get(AttemptAnswer, [a.id for a in regraded.answers
                                          if a.question_version.definition["id"] == "b-q1"][0]).question_version
    assert version.number == 1
    assert session.scalar(select(Question).where(Question.key == "b-q1")).current_version.number == 2


def test_trainer_regrade_touches_only_their_officers(app, client, course_copy, make_user, login, session):
    load_package(app, course_copy)
    make_user(Role.TRAINER, username="lonely")
    amal = make_user(username="amal")
    quiz = session.scalar(select(Quiz).where(Quiz.key == "basics-quiz"))
    attempt = start_attempt(session, amal, quiz, datetime.now(UTC))
    submit_attempt(session, attempt, datetime.now(UTC), 30)
    session.commit()
    path = course_copy / "quizzes/basics.yaml"
    path.write_text(path.read_text().replace("Who has a legal definition in a treaty?", "Who is defined by treaty?")
                    .replace("        text: A refugee\n        correct: true", "        text: A refugee")
                    .replace("        text: A migrant\n", "        text: A migrant\n        correct: true\n"))
    load_package(app, course_copy)
    login(client, "lonely")
    assert "No score would change." in client.get("/trainer/questions/b-q1/regrade").get_data(as_text=True)


def test_questions_per_page_without_javascript(client, drills, officer, login, session):
    drills(preset="practice", extra="questions_per_page: 2\nshuffle_questions: false")
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    first = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Page 1 of 3" in first and "Submit answers" not in first
    assert "Question 1" in first and "Question 2" in first and "Question 3" not in first
    g2 = version_of(session, attempt_id, "d-g2")
    response = client.post(f"/attempts/{attempt_id}/save?page=2", data={f"q{g2}": tok(client, attempt_id, g2, "a")})
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}?page=2")
    last = client.get(f"/attempts/{attempt_id}?page=3").get_data(as_text=True)
    assert "Submit answers" in last and "Question 6" in last
    num = version_of(session, attempt_id, "d-num")
    client.post(f"/attempts/{attempt_id}/submit", data={f"q{num}": "18", "confirmed": "1"})
    attempt = session.get(Attempt, attempt_id)
    scores = {a.question_version.definition["id"]: a.score for a in attempt.answers}
    assert scores["d-g2"] == 1 and scores["d-num"] == 1  # answers from both pages count


def test_exam_results_appear_when_the_trainer_releases_them(app, client, drills, officer, login, session, make_user):
    from course.models import Cohort, CohortMember, CohortTrainer
    drills(preset="exam")
    trainer = make_user(Role.TRAINER, username="tamer")
    cohort = Cohort(name="Salloum — January")
    session.add(cohort)
    session.flush()
    session.add_all([CohortMember(cohort_id=cohort.id, user_id=officer.id),
                     CohortTrainer(cohort_id=cohort.id, user_id=trainer.id)])
    session.commit()
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    num = version_of(session, attempt_id, "d-num")
    client.post(f"/attempts/{attempt_id}/submit", data={f"q{num}": "18", "confirmed": "1"})
    for url in (f"/attempts/{attempt_id}/result", "/quizzes/drills-quiz", "/attempts"):
        page = client.get(url).get_data(as_text=True)
        assert "17%" not in page and "Under 18." not in page, url
    staff = app.test_client()
    login(staff, "tamer")
    assert "Release results to this cohort" in staff.get(f"/trainer/cohorts/{cohort.id}").get_data(as_text=True)
    staff.post(f"/trainer/cohorts/{cohort.id}/release", data={"quiz": "drills-quiz"})
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "17%" in result and "Under 18." in result and "Correct answer:" in result
    assert "17%" in client.get("/attempts").get_data(as_text=True)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "results.release"))
    assert entry.details["cohort"] == "Salloum — January"


def test_officer_can_ask_for_more_time_as_often_as_the_quiz_allows(client, drills, officer, login, session):
    drills(preset="exam", extra="time_limit_minutes: 20\ntime_extension_minutes: 5\ntime_extensions: 1")
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    before = session.get(Attempt, attempt_id).deadline_at
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "I need more time (1 extension left)" in page
    client.post(f"/attempts/{attempt_id}/extend")
    session.expire_all()
    assert session.get(Attempt, attempt_id).deadline_at - before == timedelta(minutes=5)
    assert "I need more time" not in client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    refused = client.post(f"/attempts/{attempt_id}/extend", follow_redirects=True).get_data(as_text=True)
    assert "no more extra time" in refused
    session.expire_all()
    assert session.get(Attempt, attempt_id).deadline_at - before == timedelta(minutes=5)


def test_submitting_costs_the_same_statements_whatever_the_number_of_questions(client, drills, officer, login,
                                                                                session, count_queries):
    """A class submits together at the end of a session: each submit must be a handful of statements,
    not a query and a write per question."""
    drills(preset="graded")  # the same settings as the basics quiz: only the number of questions differs
    login(client, "amal")
    costs = {}
    for key in ("basics-quiz", "drills-quiz"):  # 3 and 6 questions
        attempt_id = start(client, key)
        answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)).all()
        form = {}
        for answer in answers:  # an answer to every question, so that every row changes
            definition = answer.question_version.definition
            name = f"q{answer.question_version_id}"
            item = lambda item_id, kind="option": tok(client, attempt_id, answer.question_version_id,  # noqa: E731
                                                      item_id, kind)
            if definition["type"] == "multiple":
                form[name] = [item("a"), item("b")]
            elif definition["type"] in ("single",):
                form[name] = item("a")
            elif definition["type"] == "truefalse":
                form[name] = "false"
            elif definition["type"] == "ordering":
                form.update({f"{name}-{item(i['id'], 'item')}": str(n) for n, i in enumerate(definition["items"], 1)})
            elif definition["type"] == "matching":
                form.update({f"{name}-{item(pair['id'], 'prompt')}": item(pair["id"], "match")
                             for pair in definition["pairs"]})
            else:
                form[name] = "18" if definition["type"] == "numeric" else "non-refoulement"
        session.commit()
        with count_queries() as counter:
            response = client.post(f"/attempts/{attempt_id}/submit", data=form)
        assert response.status_code == 302 and response.headers["Location"].endswith("/result")
        session.expire_all()
        assert session.get(Attempt, attempt_id).state == AttemptState.SUBMITTED
        kept = session.scalars(select(AttemptAnswer.response).where(AttemptAnswer.attempt_id == attempt_id)).all()
        assert len(kept) == len(answers) and None not in kept, kept  # every answer was kept
        costs[key] = counter.count
    assert costs["basics-quiz"] == costs["drills-quiz"], costs
    assert costs["drills-quiz"] <= 20, costs


def test_an_autosave_is_two_statements(client, drills, officer, login, session, count_queries):
    """Autosave is the most frequent request of a quiz morning: the signed-in officer, then one
    UPDATE that checks the attempt (theirs, open, in time) and the sequence number as it writes."""
    drills()
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    version = version_of(session, attempt_id, "d-g2")
    with count_queries() as first:  # the question's definition is read once per process
        client.post(f"/attempts/{attempt_id}/answer", data={"question": version, "seq": 1,
                                                            f"q{version}": tok(client, attempt_id, version, "b")})
    with count_queries() as counter:
        response = client.post(f"/attempts/{attempt_id}/answer", data={"question": version, "seq": 2,
                                                                         f"q{version}": tok(client, attempt_id,
                                                                                            version, "a")})
    assert response.get_json() == {"ok": True, "seq": 2, "question": version}
    assert first.count <= 3 and counter.count == 2, (first.count, counter.count)
    session.expire_all()
    assert session.scalar(select(AttemptAnswer.response).where(AttemptAnswer.attempt_id == attempt_id,
                                                               AttemptAnswer.question_version_id == version)) == "a"


def test_an_autosave_never_trusts_a_remembered_question_that_no_longer_matches(client, drills, officer, login,
                                                                              session):
    """A process remembers question definitions; if the database changed under it (restored from a
    backup, say), the write notices the mismatch and takes the long way with the real question."""
    from course.services import attempts as attempt_service
    drills()
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    version = version_of(session, attempt_id, "d-match")
    remembered = attempt_service.remembered_definitions(session)
    remembered.put(remembered.stamp, version, (  # a matching question with one pair only: not this one
        {"id": "d-match", "type": "matching", "pairs": [{"id": "p1", "prompt": "A", "match": "B"}],
         "distractors": []}, "stale"))
    pair = {f"q{version}-{tok(client, attempt_id, version, p, 'prompt')}": tok(client, attempt_id, version, p, "match")
            for p in ("p1", "p2")}
    response = client.post(f"/attempts/{attempt_id}/answer", data={"question": version, "seq": 1, **pair})
    assert response.get_json() == {"ok": True, "seq": 1, "question": version}
    session.expire_all()
    assert session.scalar(select(AttemptAnswer.response).where(
        AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.question_version_id == version)) == {"p1": "p1",
                                                                                                   "p2": "p2"}


def test_the_attempt_page_reads_its_questions_in_one_query_and_never_shows_a_stale_one(client, drills, officer,
                                                                                      login, session, count_queries):
    """Fifty officers open the page together when a quiz starts: it reads the attempt's answers in one
    query, with definitions this process remembers, but only while their content hash still matches."""
    from course.services import attempts as attempt_service
    drills()
    login(client, "amal")
    attempt_id = start(client, "drills-quiz")
    client.get(f"/attempts/{attempt_id}")
    with count_queries() as counter:
        page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('class="question card"') == 6
    # The signed-in officer, the attempt, its quiz, then the answers with their versions' hashes; and
    # the institute's name in the footer (an administrator's setting, course/services/institute.py).
    assert counter.count <= 5, counter.count
    version = version_of(session, attempt_id, "d-g2")
    real_stem = session.get(QuestionVersion, version).definition["stem"]
    remembered = attempt_service.remembered_definitions(session)
    remembered.put(remembered.stamp, version, ({"id": "d-g2", "type": "single", "stem": "A stale question",
                                                "options": [{"id": "a", "text": "x"}]}, "stale"))
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "A stale question" not in page
    assert text_in(real_stem, "en").split()[0] in page


def test_another_officer_cannot_write_into_an_attempt_even_with_a_well_formed_answer(app, drills, officer, login,
                                                                                    make_user, session):
    drills()
    owner = app.test_client()
    login(owner, "amal")
    attempt_id = start(owner, "drills-quiz")
    version = version_of(session, attempt_id, "d-g2")
    owner.post(f"/attempts/{attempt_id}/answer", data={"question": version, "seq": 1,
                                                       f"q{version}": tok(owner, attempt_id, version, "a")})
    make_user(username="intruder")
    intruder = app.test_client()
    login(intruder, "intruder")
    response = intruder.post(f"/attempts/{attempt_id}/answer", data={"question": version, "seq": 99,
                                                                       f"q{version}": tok(owner, attempt_id, version,
                                                                                          "b")})
    assert response.status_code == 404
    session.expire_all()
    stored = session.execute(select(AttemptAnswer.response, AttemptAnswer.seq).where(
        AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.question_version_id == version)).one()
    assert tuple(stored) == ("a", 1)
