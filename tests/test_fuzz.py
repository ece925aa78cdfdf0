"""Property-based fuzzing of every door through which text enters: the outcome is always either
success or a clear error, never an exception or a half-written change."""
import io
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from course.models import AttemptAnswer, User
from course.package import read_package
from course.services import importer
from tests.conftest import MINI_COURSE

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
QUIZ_LINES = (MINI_COURSE / "quizzes/basics.yaml").read_text().splitlines()

line_edits = st.lists(st.tuples(st.integers(0, len(QUIZ_LINES) - 1),
                                st.sampled_from(["delete", "duplicate", "replace", "indent", "truncate"]),
                                st.text(max_size=30)), max_size=6)


def mutate(lines: list[str], edits) -> str:
    lines = list(lines)
    for index, action, text in edits:
        index %= max(1, len(lines))
        if not lines:
            break
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "replace":
            key = lines[index].split(":", 1)[0]
            lines[index] = f"{key}: {text}" if ":" in lines[index] else text
        elif action == "indent":
            lines[index] = "  " + lines[index]
        else:
            lines[index] = lines[index][: len(text)]
    return "\n".join(lines) + "\n"


@FUZZ
@given(edits=line_edits)
def test_mutated_quiz_files_give_problems_with_lines_never_crashes(tmp_path_factory, edits):
    root = tmp_path_factory.mktemp("pkg")
    shutil.copytree(MINI_COURSE, root, dirs_exist_ok=True)
    (root / "quizzes/basics.yaml").write_text(mutate(QUIZ_LINES, edits))
    package = read_package(root)
    for problem in package.problems:
        assert problem.line >= 1 and problem.file and problem.field and problem.message


@FUZZ
@given(content=st.text(max_size=400))
def test_arbitrary_quiz_text_never_crashes_the_reader(tmp_path_factory, content):
    root = tmp_path_factory.mktemp("pkg")
    shutil.copytree(MINI_COURSE, root, dirs_exist_ok=True)
    (root / "quizzes/basics.yaml").write_text(content)
    package = read_package(root)
    assert package.errors  # a quiz file that is not a quiz is never accepted silently


csv_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@FUZZ
@given(rows=st.lists(st.lists(csv_cell, min_size=0, max_size=7), max_size=8),
       header=st.sampled_from(["full_name,staff_number", "full_name,staff_number,cohort,language", "name,number", ""]),
       raw=st.binary(max_size=60))
def test_csv_import_is_all_or_nothing(app, session, rows, header, raw):
    import csv
    out = io.StringIO()
    csv.writer(out).writerows([[c.replace("\x00", "") for c in row] for row in rows])
    content = (header + "\n" + out.getvalue()).encode("utf-8") + raw
    plan = importer.plan_import(session, "fuzz.csv", content)
    before = session.scalar(select(func.count()).select_from(User))
    for problem in plan.problems:
        assert problem.line >= 1 and problem.message
    if not plan.ok:
        try:
            importer.apply_import(session, None, "fuzz.csv", content)
        except ValueError:
            pass
        else:
            raise AssertionError("a file with problems was imported")
        assert session.scalar(select(func.count()).select_from(User)) == before
    session.rollback()


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["question", "seq", "qX", "qX-p1", "qX-s1", "other"]),
                            st.one_of(st.text(max_size=12), st.integers(-5, 10**12).map(str)), max_size=5))
def test_answer_submission_never_errors(app, mini_course, make_user, login, session, form):
    from tests.conftest import PASSWORD
    if session.scalar(select(User).where(User.username == "fuzzy")) is None:
        make_user(username="fuzzy")
    client = app.test_client()
    client.post("/login", data={"username": "fuzzy", "password": PASSWORD})
    location = client.post("/quizzes/basics-quiz/start").headers["Location"]
    attempt_id = int(location.rsplit("/", 1)[1])
    answer = session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
    version = answer.question_version_id
    data = {k.replace("X", str(version)): v for k, v in form.items()}
    if "question" in data and data["question"].isdigit() and len(data["question"]) < 4:
        data["question"] = str(version)
    response = client.post(f"/attempts/{attempt_id}/answer", data=data)
    assert response.status_code in (200, 400, 409), response.status_code
    payload = response.get_json()
    assert isinstance(payload, dict) and "ok" in payload
    if response.status_code != 200:
        assert payload["error"]


GIFT_ALPHABET = st.sampled_from(list("{}=~#:->%[]\\$/\n abcT.0123456789") + ["::", "->", "{#", "{T}", "####", "//"])


@FUZZ
@given(pieces=st.lists(GIFT_ALPHABET, max_size=80))
def test_gift_parser_reports_or_imports_never_crashes(pieces):
    from course.interchange.gift_read import parse_gift
    text = "".join(pieces)
    result = parse_gift(text, "fuzz.gift", module="basics", objectives={"B1.1", "B1.2"}, default_objective="B1.1",
                        taken_ids=set())
    lines = text.count("\n") + 1
    for problem in result.problems:
        assert 1 <= problem.line <= lines and problem.message
    for question in result.questions:
        assert question["id"] and question["type"]
