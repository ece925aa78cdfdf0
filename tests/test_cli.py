"""The command-line tools as an operator uses them."""
import pytest
from sqlalchemy import func, select

from course.models import Question, Role, User
from course.models._types import utcnow
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


PRODUCTION = {"MARSA_ENV": "production", "PUBLIC_BASE_URL": "https://marsa.example.org", "SECRET_KEY": "s" * 40,
              "RATELIMIT_STORAGE_URI": "memory://", "MARSA_SINGLE_PROCESS": "1"}


def _drop_question(course_dir, key: str = "b-q3") -> None:
    """The course folder of a later release: one question fewer than the published course."""
    path = course_dir / "quizzes/basics.yaml"
    text = path.read_text()
    start = text.index(f"  - id: {key}\n")
    end = text.find("\n  - id: ", start + 1)
    path.write_text(text[:start] + (text[end + 1:] if end != -1 else ""))


def _question_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Question.id)).where(Question.retired.is_(False)))


def test_demo_is_refused_in_production(make_app, session):
    app = make_app(**PRODUCTION)
    result = app.test_cli_runner().invoke(args=["demo", "--course", str(MINI_COURSE)])
    assert result.exit_code == 1 and "MARSA_ENV=production" in result.output
    assert session.scalar(select(func.count(User.id))) == 0


def test_a_production_start_loads_the_course_once_and_creates_no_account(make_app, session):
    app = make_app(**PRODUCTION)
    first = app.test_cli_runner().invoke(args=["prepare"])
    assert first.exit_code == 0, first.output
    assert "Course loaded" in first.output and "No administrator yet" in first.output
    assert session.scalar(select(func.count(User.id))) == 0
    assert _question_count(session) > 0
    again = app.test_cli_runner().invoke(args=["prepare"])
    assert again.exit_code == 0 and "Course loaded" not in again.output and "differs" not in again.output


def test_a_local_first_start_gets_the_course_and_demo_accounts_and_later_starts_add_none(app, session):
    first = app.test_cli_runner().invoke(args=["prepare"])
    assert first.exit_code == 0, first.output
    assert "Demo accounts created: officer, trainer, admin" in first.output
    session.execute(User.__table__.update().where(User.username == "officer").values(username="renamed"))
    session.commit()
    again = app.test_cli_runner().invoke(args=["prepare"])
    assert "Demo accounts created" not in again.output
    assert session.scalar(select(User).where(User.username == "officer")) is None


def test_restarting_never_replaces_the_course_published_in_the_browser(make_app, session, course_copy, tmp_path):
    """The institute published a newer course in the browser; the repository's folder still holds
    the older one. A restart keeps the published course, says the folder differs, and the audit
    log names every load."""
    from course.extensions import db
    from course.models import AuditEntry
    from course.package import read_package
    from course.services import publishing
    older = tmp_path / "older"
    import shutil
    shutil.copytree(course_copy, older)
    _drop_question(older)
    app = make_app(**PRODUCTION, COURSE_DIR=str(older))
    assert app.test_cli_runner().invoke(args=["prepare"]).exit_code == 0
    assert _question_count(session) == 2
    with app.app_context():  # what Administration > Course content does with an uploaded package
        publishing.publish(db.session, None, read_package(course_copy), "newer.zip", now=utcnow())
        db.session.commit()
    assert _question_count(session) == 3
    restart = app.test_cli_runner().invoke(args=["prepare"])
    assert restart.exit_code == 0
    assert "differs from the published course; it was not loaded" in restart.output
    assert _question_count(session) == 3
    sources = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "course.publish")
                              .order_by(AuditEntry.id)).all()
    assert [d["source"] for d in sources] == ["first start", "newer.zip"]
    explicit = app.test_cli_runner().invoke(args=["course", "load"])  # the operator's explicit choice
    assert explicit.exit_code == 0 and _question_count(session) == 2
    assert session.scalars(select(AuditEntry.details).where(AuditEntry.action == "course.publish")
                           .order_by(AuditEntry.id.desc())).first()["source"] == "command line"


@pytest.fixture
def admin_on_published_folder(make_app, make_user, login, course_copy):
    """An administrator's client, on an installation whose published course is the course folder."""
    from course.extensions import db
    from course.package import read_package
    from course.services import publishing
    app = make_app(COURSE_DIR=str(course_copy))
    with app.app_context():
        publishing.publish(db.session, None, read_package(course_copy), "first start", now=utcnow())
        db.session.commit()
    make_user(Role.ADMIN, "boss")
    client = app.test_client()
    login(client, "boss")
    return client


def test_the_admin_sees_a_differing_course_folder_previews_and_publishes_it(admin_on_published_folder, session,
                                                                             course_copy):
    client = admin_on_published_folder
    assert "differs from the published course" not in client.get("/admin/people").get_data(as_text=True)
    _drop_question(course_copy)  # a content correction arrives with a new release
    assert "differs from the published course" in client.get("/admin/people").get_data(as_text=True)
    assert "Preview the differences" in client.get("/admin/course").get_data(as_text=True)
    preview = client.post("/admin/course/reload", follow_redirects=True).get_data(as_text=True)
    assert "retired 1 questions: b-q3" in preview
    assert _question_count(session) == 3  # previewing changes nothing
    client.post("/admin/course/apply/folder")
    assert _question_count(session) == 2
    assert "differs from the published course" not in client.get("/admin/people").get_data(as_text=True)


def test_a_course_published_before_fingerprints_is_not_reported_as_different(app, session):
    from course.models import Setting
    from course.services.publishing import PUBLISHED_SOURCE
    assert app.test_cli_runner().invoke(args=["prepare"]).exit_code == 0
    session.delete(session.get(Setting, PUBLISHED_SOURCE))  # as an installation upgraded to this version
    session.commit()
    upgraded = app.test_cli_runner().invoke(args=["prepare"])
    assert upgraded.exit_code == 0 and "differs" not in upgraded.output
    session.expire_all()
    assert session.get(Setting, PUBLISHED_SOURCE).value["source"] == "course folder (already published)"


def test_a_folder_that_differs_only_in_its_files_can_be_published_to_clear_the_notice(admin_on_published_folder,
                                                                                     course_copy):
    client = admin_on_published_folder
    quiz = course_copy / "quizzes/basics.yaml"
    quiz.write_text("# reviewed by the training unit\n" + quiz.read_text())  # changes nothing officers see
    preview = client.post("/admin/course/reload", follow_redirects=True).get_data(as_text=True)
    assert "same as what is published" in preview and "Publish this folder" in preview
    client.post("/admin/course/apply/folder")
    assert "differs from the published course" not in client.get("/admin/people").get_data(as_text=True)
