"""The attempt page never gives the answer key away.

An officer who answers every shipped quiz only from the page's markup (a value equal to the
field's name, the first option, the options with the smallest values, the items numbered in the
order they appear) must score no better than a blind guess of the same shape. The attempts are
seeded, so the test is deterministic; the comparison allows a margin for the luck of a few
dozen questions.
"""
from __future__ import annotations

import itertools
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from course.config import REPO_ROOT
from course.models import Attempt, AttemptAnswer, QuestionVersion, Quiz
from course.questions import score_response
from course.services.attempts import start_attempt
from tests.conftest import load_package, page_value

SEEDS = range(1, 9)
#: Percentage points above the blind guess that the luck of eight seeded attempts may give.
MARGIN = 10.0
#: How many boxes a multiple-response cheat ticks.
TICKED = 2


class AttemptForm(HTMLParser):
    """The answer fields of an attempt page, per question, in page order: what a cheat can read."""

    def __init__(self):
        super().__init__()
        self.questions: list[dict] = []
        self._select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset" and "data-question" in attrs:
            self.questions.append({"attrs": attrs, "radios": [], "boxes": [], "selects": [], "texts": []})
        elif not self.questions:
            return
        elif tag == "input" and attrs.get("type") == "radio":
            self.questions[-1]["radios"].append(attrs)
        elif tag == "input" and attrs.get("type") == "checkbox":
            self.questions[-1]["boxes"].append(attrs)
        elif tag == "input" and attrs.get("type") == "text":
            self.questions[-1]["texts"].append(attrs)
        elif tag == "select":
            self._select = {"name": attrs["name"], "options": []}
            self.questions[-1]["selects"].append(self._select)
        elif tag == "option" and self._select is not None and attrs.get("value"):
            self._select["options"].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse(html: str) -> list[dict]:
    parser = AttemptForm()
    parser.feed(html)
    return parser.questions


def authoring_ids(definition: dict) -> set[str]:
    ids = {o["id"] for o in definition.get("options", [])} | {i["id"] for i in definition.get("items", [])}
    ids |= {p["id"] for p in definition.get("pairs", [])} | {d["id"] for d in definition.get("distractors", [])}
    return ids


def names_on_page(question: dict) -> set[str]:
    """Every value and field-name suffix of a question's answer fields."""
    fields = question["radios"] + question["boxes"]
    names = {f["value"] for f in fields} | {_suffix(f["name"]) for f in fields}
    for select_ in question["selects"]:
        names |= {_suffix(select_["name"]), *select_["options"]}
    return names - {""}


def _suffix(name: str) -> str:
    return name.split("-", 1)[1] if "-" in name else ""


def cheat(questions: list[dict], strategy: str) -> list[tuple[str, str]]:
    """The form a cheat posts. ``first``: page order; ``lowest``: the smallest values and names.
    Both pick, in a drop-down, the option whose value is the field's own name when there is one."""
    pick = (lambda values: values) if strategy == "first" else sorted
    form: list[tuple[str, str]] = []
    for question in questions:
        if question["radios"]:
            form.append((question["radios"][0]["name"], pick([r["value"] for r in question["radios"]])[0]))
        if question["boxes"]:
            for value in pick([b["value"] for b in question["boxes"]])[:TICKED]:
                form.append((question["boxes"][0]["name"], value))
        selects = question["selects"]
        if selects and all(s["options"] == [str(n) for n in range(1, len(selects) + 1)] for s in selects):
            # Ordering: number the items in page order, or by their names.
            for position, select_ in enumerate(pick(selects) if strategy == "first"
                                               else sorted(selects, key=lambda s: s["name"]), start=1):
                form.append((select_["name"], str(position)))
        else:
            for select_ in selects:
                echo = _suffix(select_["name"])
                form.append((select_["name"], echo if echo in select_["options"] else pick(select_["options"])[0]))
    return form


def blind_guess(definition: dict, form_shape: str) -> float:
    """The fraction a guess of the cheat's shape earns on average when the markup says nothing."""
    kind = definition["type"]
    if kind == "single":
        return sum(score_response(definition, o["id"]) for o in definition["options"]) / len(definition["options"])
    if kind == "multiple":
        ids = [o["id"] for o in definition["options"]]
        subsets = list(itertools.combinations(ids, min(TICKED, len(ids))))
        return sum(score_response(definition, sorted(s)) for s in subsets) / len(subsets)
    if kind == "matching":
        return 1 / (len(definition["pairs"]) + len(definition["distractors"]))
    if kind == "ordering":
        return 1 / len(definition["items"])
    if kind == "truefalse":
        # Two labels in a fixed order (True, then False): a pick by position is a pick by label,
        # which earns what the authors' balance of keys gives it (`flask course check` warns).
        return score_response(definition, form_shape == "first")
    return 0.0  # short answer, numeric: nothing on the page to copy


SHIPPED = sorted(p.stem for p in (REPO_ROOT / "quizzes").glob("*.yaml") if p.stem.count(".") == 0)


@pytest.fixture
def shipped_course(app, session):
    load_package(app, REPO_ROOT)
    for quiz in session.scalars(select(Quiz)):  # as many seeded attempts as the test needs
        quiz.settings = {**quiz.settings, "attempts": None, "time_limit_minutes": None}
    session.commit()


def test_every_shipped_quiz_is_covered():
    assert len(SHIPPED) == 8


@pytest.mark.parametrize("strategy", ["first", "lowest"])
def test_answering_from_the_markup_scores_no_better_than_a_blind_guess(
        shipped_course, app, client, session, make_user, login, strategy):
    officer = make_user(username=f"cheat-{strategy}")
    login(client, officer.username)
    report = []
    for quiz in session.scalars(select(Quiz).order_by(Quiz.key)).all():
        scored = guessed = 0.0
        for seed in SEEDS:
            attempt = start_attempt(session, officer, quiz, datetime.now(UTC), seed=seed)
            session.commit()
            page = client.get(f"/attempts/{attempt.id}")
            assert page.status_code == 200
            questions = parse(page.get_data(as_text=True))
            assert len(questions) == len(attempt.answers)
            for question in questions:
                definition = session.get(QuestionVersion, int(question["attrs"]["data-question"])).definition
                assert not names_on_page(question) & authoring_ids(definition), (quiz.key, definition["id"])
            assert client.post(f"/attempts/{attempt.id}/submit",
                               data=MultiDict(cheat(questions, strategy))).status_code == 302
            session.expire_all()
            done = session.get(Attempt, attempt.id)
            scored += done.percent
            answers = session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)).all()
            points = sum(a.max_score for a in answers)
            guessed += 100 * sum(a.max_score * blind_guess(a.question_version.definition, strategy)
                                 for a in answers) / points
        report.append((quiz.key, round(scored / len(SEEDS), 1), round(guessed / len(SEEDS), 1)))
    print(f"\ncheat ({strategy}): quiz, mean percent, blind guess")
    for row in report:
        print("  %-28s %5.1f %5.1f" % row)
    beaten = [row for row in report if row[1] > row[2] + MARGIN]
    assert not beaten, f"the markup gives the key away ({strategy}): {beaten}"
    assert len(report) == len(SHIPPED)


def start(client, key: str) -> int:
    response = client.post(f"/quizzes/{key}/start")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def answer_to(session, attempt_id: int, key: str) -> AttemptAnswer:
    return next(a for a in session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
                if a.question_version.definition["id"] == key)


def test_an_authoring_id_or_another_attempts_name_is_refused_and_changes_nothing(
        app, client, mini_course, make_user, login, session):
    make_user(username="amal")
    login(client, "amal")
    attempt_id = start(client, "basics-quiz")
    answer = answer_to(session, attempt_id, "b-q1")
    version, name = answer.question_version_id, f"q{answer.question_version_id}"
    right = page_value(app, attempt_id, version, "a")
    save = lambda seq, value: client.post(f"/attempts/{attempt_id}/answer",  # noqa: E731
                                          data={"question": version, "seq": seq, name: value})
    assert save(1, right).get_json()["ok"]
    for forged in ("a", page_value(app, attempt_id + 1, version, "a"), page_value(app, attempt_id, version + 1, "a")):
        response = save(2, forged)
        assert response.status_code == 400 and "cannot be accepted" in response.get_json()["error"]
    # Without JavaScript: the whole form, with an authoring id, is refused with a message.
    response = client.post(f"/attempts/{attempt_id}/submit", data={name: "b"}, follow_redirects=True)
    assert "That answer cannot be accepted" in response.get_data(as_text=True)
    session.expire_all()
    stored = session.get(AttemptAnswer, answer.id)
    assert (stored.response, stored.seq) == ("a", 1)
    assert session.get(Attempt, attempt_id).is_open


def test_matching_is_read_only_through_the_attempts_names(app, client, shipped_course, make_user, login, session):
    make_user(username="amal")
    login(client, "amal")
    attempt_id = start(client, "terminology-quiz")
    answer = next(a for a in session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
                  if a.question_version.type == "matching")
    version, pairs = answer.question_version_id, answer.question_version.definition["pairs"]
    field = lambda prompt: f"q{version}-{page_value(app, attempt_id, version, prompt, 'prompt')}"  # noqa: E731
    match = lambda item: page_value(app, attempt_id, version, item, "match")  # noqa: E731
    everything = {"question": version, "seq": 1, **{field(p["id"]): match(p["id"]) for p in pairs}}
    assert client.post(f"/attempts/{attempt_id}/answer", data=everything).get_json()["ok"]
    # The prompt's own id as the match, under the page's field name: refused.
    forged = {"question": version, "seq": 2, field(pairs[0]["id"]): pairs[0]["id"]}
    assert client.post(f"/attempts/{attempt_id}/answer", data=forged).status_code == 400
    session.expire_all()
    assert session.get(AttemptAnswer, answer.id).response == {p["id"]: p["id"] for p in pairs}
    # The officer's own data download says what was chosen in words, not by the options' ids.
    data = client.get("/me/data.json").get_json()
    saved = next(a for a in data["attempts"][0]["answers"] if a["question"] == answer.question_version.definition["id"])
    assert saved["response"].startswith(pairs[0]["prompt"]["en"][:10])
