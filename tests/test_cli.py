"""The command-line tools as an operator uses them."""
from sqlalchemy import func, select

from course.models import Question, Role, User
from tests.conftest import MINI_COURSE


def test_course_check_passes_on_a_clean_package(app):
    result = app.test_cli_runner().invoke(args=["course", "check", str(MINI_COURSE)])
    assert result.exit_code == 0
    assert "1 modules, 2 lessons, 1 quizzes, 3 questions: 0 error(s)" in result.output


def test_course_check_fails_and_names_file_line_field(app, course_copy):
    path = course_copy / "quizzes/basics.yaml"
    path.write_text(path.read_text().replace("type: multiple", "type: multi"))
    result = app.test_cli_runner().invoke(args=["course", "check", str(course_copy)])
    assert result.exit_code == 1
    assert "quizzes/basics.yaml:22: b-q2.type: unknown question type 'multi'" in result.output


def test_course_load_refuses_a_broken_package_and_changes_nothing(app, session, course_copy):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["course", "load", str(course_copy)]).exit_code == 0
    path = course_copy / "quizzes/basics.yaml"
    path.write_text(path.read_text().replace("Who has a legal definition", "Who has a definition")
                    .replace("objectives: [B1.2]\n    scoring", "objectives: [nope]\n    scoring"))
    result = runner.invoke(args=["course", "load", str(course_copy)])
    assert result.exit_code == 1 and "Refused" in result.output
    assert session.scalar(select(func.count()).select_from(Question)) == 3
    stem = session.scalar(select(Question).where(Question.key == "b-q1")).current_version.definition["stem"]["en"]
    assert stem == "Who has a legal definition in a treaty?"


def test_course_load_prints_what_changed(app, course_copy):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["course", "load", str(course_copy)])
    assert "added 3 questions: b-q1, b-q2, b-q3" in first.output
    second = runner.invoke(args=["course", "load", str(course_copy)])
    assert "unchanged: 2 lessons, 1 modules, 2 objectives, 3 questions, 1 quizzes" in second.output


def test_user_add_reads_the_password_from_stdin(app, session):
    result = app.test_cli_runner().invoke(
        args=["user", "add", "samir", "--role", "trainer", "--name", "Samir Adel"],
        input="a-long-enough-secret\na-long-enough-secret\n")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.username == "samir"))
    assert user.role == Role.TRAINER and user.full_name == "Samir Adel"


def test_user_add_refuses_a_weak_password(app, session):
    result = app.test_cli_runner().invoke(args=["user", "add", "weak", "--role", "officer", "--name", "W"],
                                          input="password123\npassword123\n")
    assert result.exit_code == 1 and "too easy to guess" in result.output
    assert session.scalar(select(User).where(User.username == "weak")) is None


def test_demo_creates_accounts_and_loads_the_course(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "--course", str(MINI_COURSE)])
    assert result.exit_code == 0, result.output
    assert "Demo accounts created: officer, trainer, admin (password: marsa-demo)" in result.output
    assert "for a local trial only" in result.output
    roles = dict(session.execute(select(User.username, User.role)).all())
    assert roles == {"officer": Role.OFFICER, "trainer": Role.TRAINER, "admin": Role.ADMIN}
    # The demo trainer trains the demo officer's cohort, which has the course assigned.
    from course.models import Assignment, Cohort
    cohort = session.scalar(select(Cohort))
    assert {m.user.username for m in cohort.members} == {"officer"}
    assert {t.user.username for t in cohort.trainers} == {"trainer"}
    assert session.scalar(select(Assignment).where(Assignment.cohort_id == cohort.id)).due_at is not None
    again = app.test_cli_runner().invoke(args=["demo", "--course", str(MINI_COURSE)])
    assert again.exit_code == 0 and "Demo accounts created" not in again.output
