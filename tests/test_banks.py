"""Question banks shared by a pre-test and a post-test: an officer is never given the same item twice."""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from course.models import AttemptAnswer, Question, Quiz, Role
from course.package import read_package
from course.services import reports
from course.services.attempts import start_attempt, submit_attempt
from course.services.regrade import apply_regrade
from tests.conftest import load_package, make_cohort

NOW = datetime.now(UTC) - timedelta(days=1)

#: pool -> (objective, how many items): p1 has one item more than the pre-test and post-test draw together.
POOLS = {"p1": ("B1.1", 5), "p2": ("B1.2", 4)}


def bank_file(pools: dict = POOLS) -> str:
    lines = ["id: entry", "questions:"]
    for pool, (objective, size) in pools.items():
        for n in range(1, size + 1):
            lines += [f"  - id: {pool}-item-{n}", "    type: truefalse", f"    objectives: [{objective}]",
                      f"    pool: {pool}", f"    stem: Statement {n} of pool {pool}.", "    answer: true",
                      "    explanation: Because."]
    return "\n".join(lines) + "\n"


def form(kind: str, other: str, draw: str = "draw: 2", preset: str = "practice") -> str:
    return "\n".join([f"id: {kind}", "scope: course", f"kind: {kind}", f"pairs_with: {other}",
                      f"title: The {kind}", f"preset: {preset}", "bank: entry", draw, "questions: []"]) + "\n"


def write_course(root, pre_draw: str = "draw: 2", post_draw: str = "draw: 2", pools: dict = POOLS) -> None:
    (root / "banks").mkdir(exist_ok=True)
    (root / "banks" / "entry.yaml").write_text(bank_file(pools))
    (root / "quizzes" / "pre-test.yaml").write_text(form("pre-test", "post-test", pre_draw))
    (root / "quizzes" / "post-test.yaml").write_text(form("post-test", "pre-test", post_draw))


@pytest.fixture
def banked(app, course_copy):
    write_course(course_copy)
    load_package(app, course_copy)
    return course_copy


def quiz(session, key: str) -> Quiz:
    return session.scalar(select(Quiz).where(Quiz.key == key))


def paper(session, attempt) -> list[str]:
    answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                              .order_by(AttemptAnswer.position)).all()
    return [a.question_version.definition["id"] for a in answers]


def sit(session, officer, quiz_key: str, seed: int, answer: bool = True, at: datetime = NOW):
    attempt = start_attempt(session, officer, quiz(session, quiz_key), at, seed=seed)
    for row in attempt.answers:
        row.response = answer
    submit_attempt(session, attempt, at, 30)
    session.commit()
    return attempt


def per_pool(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.split("-")[0]] = counts.get(item.split("-")[0], 0) + 1
    return counts


def test_the_package_check_accepts_the_bank_and_reads_the_draws(course_copy):
    write_course(course_copy)
    package = read_package(course_copy)
    assert package.errors == [], package.errors
    forms = {q.key: q for q in package.quizzes}
    assert forms["pre-test"].settings["bank"] == forms["post-test"].settings["bank"] == "entry"
    assert forms["post-test"].settings["draw"] == {"p1": 2, "p2": 2}
    assert [q.key for q in package.banks[0].questions][:2] == ["p1-item-1", "p1-item-2"]


def test_an_officer_is_never_given_a_pretest_item_again_on_the_posttest(banked, session, make_user):
    pre_papers, post_papers = set(), set()
    for n in range(40):
        officer = make_user(username=f"officer-{n}")
        # Half the officers sit the post-test first: the rule holds whichever comes first.
        order = ("pre-test", "post-test") if n % 2 == 0 else ("post-test", "pre-test")
        first = paper(session, sit(session, officer, order[0], seed=5000 + n))
        second = paper(session, sit(session, officer, order[1], seed=9000 + n, at=NOW + timedelta(hours=1)))
        assert per_pool(first) == per_pool(second) == {"p1": 2, "p2": 2}, (first, second)
        assert not set(first) & set(second), (n, first, second)
        pre_papers.add(frozenset(first if order[0] == "pre-test" else second))
        post_papers.add(frozenset(second if order[0] == "pre-test" else first))
    # Two officers do not sit the same paper (p1 leaves 10 choices, p2 6: 60 papers).
    assert len(pre_papers) > 10 and len(post_papers) > 10


def test_a_resumed_attempt_keeps_the_paper_it_drew(banked, session, make_user):
    officer = make_user(username="amal")
    sit(session, officer, "pre-test", seed=11)
    first = start_attempt(session, officer, quiz(session, "post-test"), NOW, seed=12)
    session.commit()
    again = start_attempt(session, officer, quiz(session, "post-test"), NOW + timedelta(minutes=5), seed=99)
    assert again.id == first.id and paper(session, again) == paper(session, first)


def test_the_quiz_page_counts_the_questions_drawn_from_the_bank(banked, client, make_user, login):
    make_user(username="amal")
    login(client, "amal")
    page = client.get("/quizzes/post-test").get_data(as_text=True)
    assert "<dd>4</dd>" in page


def test_when_the_pool_runs_out_the_least_recently_given_items_come_back(banked, session, make_user, caplog):
    officer = make_user(username="amal")
    pre = paper(session, sit(session, officer, "pre-test", seed=21))
    post = paper(session, sit(session, officer, "post-test", seed=22, at=NOW + timedelta(hours=1)))
    with caplog.at_level(logging.WARNING, logger="course.services.attempts"):
        third = paper(session, sit(session, officer, "post-test", seed=23, at=NOW + timedelta(hours=2)))
    # p1 (5 items) has one item neither paper held; then the least recently given: the pre-test's.
    never_given = {f"p1-item-{n}" for n in range(1, 6)} - set(pre) - set(post)
    p1 = [q for q in third if q.startswith("p1-")]
    assert never_given < set(p1) and set(p1) - never_given <= set(pre)
    assert {q for q in third if q.startswith("p2-")} == {q for q in pre if q.startswith("p2-")}
    assert "bank entry is too small" in caplog.text


@pytest.mark.parametrize("pre_draw, post_draw, field, line", [
    ("draw: {p1: 3, p2: 2}", "draw: {p1: 3, p2: 2}", "draw.p1", 8),
    ("draw: 2", "draw:\n  p1: 1\n  p2: 3", "draw.p2", 10),
])
def test_the_check_refuses_a_bank_too_small_for_the_pre_and_post_test(app, course_copy, pre_draw, post_draw,
                                                                       field, line):
    write_course(course_copy, pre_draw, post_draw)
    errors = [str(p) for p in read_package(course_copy).errors]
    expected = f"quizzes/post-test.yaml:{line}: {field}: the bank 'entry' (banks/entry.yaml) has"
    assert any(e.startswith(expected) and "an officer would be given the same item on both" in e
               for e in errors), errors
    result = app.test_cli_runner().invoke(args=["course", "check", str(course_copy)])
    assert result.exit_code == 1 and expected in result.output, result.output


@pytest.mark.parametrize("change, message", [
    (lambda root: (root / "quizzes" / "post-test.yaml").write_text(
        form("post-test", "pre-test").replace("bank: entry", "bank: elsewhere")),
     "quizzes/post-test.yaml:7: bank: no question bank with id 'elsewhere'"),
    (lambda root: (root / "banks" / "entry.yaml").write_text(bank_file().replace("    pool: p2\n", "", 1)),
     "banks/entry.yaml:38: p2-item-1.pool: every question of a bank names its pool"),
    (lambda root: (root / "quizzes" / "post-test.yaml").write_text(form("post-test", "pre-test", "draw: {p3: 1}")),
     "quizzes/post-test.yaml:8: draw.p3: no question of the bank 'entry' is in this pool"),
    (lambda root: (root / "quizzes" / "post-test.yaml").write_text(form("post-test", "pre-test", "draw: 5")),
     "quizzes/post-test.yaml:8: draw: must be a whole number from 1 to 4"),
])
def test_a_bank_that_cannot_be_drawn_from_is_an_error(course_copy, change, message):
    write_course(course_copy)
    change(course_copy)
    errors = [str(p) for p in read_package(course_copy).errors]
    assert any(e.startswith(message) for e in errors), errors


def test_three_quizzes_drawing_more_than_a_pool_holds_are_a_warning(course_copy):
    write_course(course_copy)
    (course_copy / "quizzes" / "basics.yaml").write_text(
        (course_copy / "quizzes" / "basics.yaml").read_text().replace("questions:\n", "bank: entry\ndraw: {p1: 2}\n"
                                                                      "questions:\n", 1))
    package = read_package(course_copy)
    assert package.errors == [], package.errors
    assert any("banks/entry.yaml:1: pool p1: warning: 3 quizzes draw 6 questions of this pool of 5" in str(w)
               for w in package.warnings), package.warnings


def test_item_analysis_and_knowledge_gain_read_each_quiz_over_its_own_papers(banked, session, make_user):
    officers = [make_user(username=f"officer-{n}") for n in range(8)]
    cohort = make_cohort(session, "Banked", officers=officers)
    drawn = {"pre-test": {}, "post-test": {}}
    for n, officer in enumerate(officers):
        # Wrong on every pre-test item, right on every post-test item, whichever items each drew.
        for key, answer, hours in (("pre-test", False, 0), ("post-test", True, 1)):
            for item in paper(session, sit(session, officer, key, seed=700 + 10 * n + hours, answer=answer,
                                           at=NOW + timedelta(hours=hours))):
                drawn[key][item] = drawn[key].get(item, 0) + 1
    for key, facility in (("pre-test", 0.0), ("post-test", 1.0)):
        stats = {s.definition["id"]: s for s in reports.item_analysis(session, cohort, quiz(session, key))}
        assert set(stats) == {f"{p}-item-{n}" for p, (_o, size) in POOLS.items() for n in range(1, size + 1)}
        for item, row in stats.items():
            assert row.n == drawn[key].get(item, 0), (key, item)
            assert row.facility == (facility if row.n else None)
        assert sum(row.n for row in stats.values()) == 8 * 4
    gain = reports.knowledge_gain(session, cohort)
    assert (gain.paired, gain.mean_pre, gain.mean_post) == (8, 0, 100)
    assert [(module.key, pre, post) for module, pre, post in gain.by_module] == [("basics", 0.0, 100.0)]


def test_regrading_a_bank_item_reaches_the_papers_of_both_quizzes(banked, app, session, make_user):
    admin = make_user(Role.ADMIN, username="boss")
    holders = 0
    for n in range(8):
        officer = make_user(username=f"officer-{n}")
        for key, hours in (("pre-test", 0), ("post-test", 1)):
            holders += "p2-item-1" in paper(session, sit(session, officer, key, seed=300 + 10 * n + hours,
                                                         at=NOW + timedelta(hours=hours)))
    assert holders == 8  # p2 has 4 items and the two forms take 2 each: every officer meets p2-item-1 once
    bank = banked / "banks" / "entry.yaml"
    bank.write_text(bank.read_text().replace("stem: Statement 1 of pool p2.\n    answer: true",
                                             "stem: Statement 1 of pool p2.\n    answer: false"))
    load_package(app, banked)
    session.expire_all()
    question = session.scalar(select(Question).where(Question.key == "p2-item-1"))
    changes = apply_regrade(session, admin, question, datetime.now(UTC))
    assert len(changes) == 8 and all(c.new_score == 0 for c in changes)
    assert {c.attempt.quiz.key for c in changes} == {"pre-test", "post-test"}


def test_questions_moved_into_a_bank_keep_their_history(app, course_copy, session, make_user):
    """A course whose pre-test held its own items moves them into a bank: an officer who sat the old
    pre-test is not given those items on the post-test."""
    own = bank_file({"p1": ("B1.1", 2), "p2": ("B1.2", 2)}).split("questions:\n", 1)[1]
    (course_copy / "quizzes" / "pre-test.yaml").write_text(
        form("pre-test", "post-test", "").replace("bank: entry\n", "").replace("questions: []\n", "questions:\n")
        + own.replace("    pool: p1\n", "").replace("    pool: p2\n", ""))
    (course_copy / "quizzes" / "post-test.yaml").write_text(form("post-test", "pre-test").replace("bank: entry\n", "")
                                                            .replace("draw: 2\n", "").replace("[]", "\n" + own
                                                            .replace("-item-", "-other-")
                                                            .replace("    pool: p1\n", "").replace("    pool: p2\n", "")))
    load_package(app, course_copy)
    officer = make_user(username="amal")
    old_pre = paper(session, sit(session, officer, "pre-test", seed=1))
    assert sorted(old_pre) == ["p1-item-1", "p1-item-2", "p2-item-1", "p2-item-2"]
    before = {q.key: q.id for q in session.scalars(select(Question))}
    write_course(course_copy)
    load_package(app, course_copy)
    session.expire_all()
    moved = session.scalar(select(Question).where(Question.key == "p1-item-1"))
    assert (moved.id, moved.bank, moved.quiz_id) == (before["p1-item-1"], "entry", None)
    post = paper(session, sit(session, officer, "post-test", seed=2, at=NOW + timedelta(hours=1)))
    assert per_pool(post) == {"p1": 2, "p2": 2} and not set(post) & set(old_pre), post


def test_a_course_zip_brings_its_banks_and_the_fingerprint_covers_them(course_copy):
    import io
    import zipfile

    from course.services.publishing import source_fingerprint, unpacked
    write_course(course_copy)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(course_copy.rglob("*")):
            if path.is_file():
                archive.write(path, f"course/{path.relative_to(course_copy)}")
    with unpacked(out.getvalue()) as root:
        package = read_package(root)
        assert package.errors == [] and [b.key for b in package.banks] == ["entry"]
        assert source_fingerprint(root) == source_fingerprint(course_copy)
    before = source_fingerprint(course_copy)
    bank = course_copy / "banks" / "entry.yaml"
    bank.write_text(bank.read_text().replace("Statement 1 of pool p1.", "Statement one of pool p1."))
    assert source_fingerprint(course_copy) != before


@pytest.mark.parametrize("value", ["[entry]", "{id: entry}", "7"])
def test_a_bank_field_that_is_not_a_name_is_an_error(course_copy, value):
    write_course(course_copy)
    quiz_file = course_copy / "quizzes" / "post-test.yaml"
    quiz_file.write_text(quiz_file.read_text().replace("bank: entry", f"bank: {value}"))
    errors = [str(p) for p in read_package(course_copy).errors]
    assert any(e.startswith("quizzes/post-test.yaml:7: bank: no question bank with id") for e in errors), errors
