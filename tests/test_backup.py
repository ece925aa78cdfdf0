"""Backups round-trip every table of a populated database."""
from datetime import UTC, datetime

from sqlalchemy import select, text

from course.db import Base
from course.extensions import db
from course.models import Quiz
from course.services.attempts import save_answer, start_attempt, submit_attempt


def snapshot(engine) -> dict:
    with engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
                for table in Base.metadata.sorted_tables}


def test_backup_then_restore_brings_back_every_row(app, mini_course, make_user, session, tmp_path):
    officer = make_user(username="amal", full_name="أمل حسن")
    quiz = session.scalar(select(Quiz))
    now = datetime.now(UTC)
    attempt = start_attempt(session, officer, quiz, now)
    save_answer(session, attempt, attempt.answers[0].question_version_id, None, 1, now, 30)
    submit_attempt(session, attempt, now, 30)
    session.commit()
    session.close()
    before = snapshot(db.engine)
    assert before["attempts"] and before["users"]
    runner = app.test_cli_runner()
    target = tmp_path / "backup.bin"
    result = runner.invoke(args=["backup", "-o", str(target)])
    assert result.exit_code == 0, result.output
    # Damage the data after the backup...
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM attempt_answers"))
        connection.execute(text("UPDATE users SET full_name = 'changed'"))
    assert snapshot(db.engine) != before
    # ...and bring it back.
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert snapshot(db.engine) == before


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_text("not a database")
    result = app.test_cli_runner().invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1 and "Error:" in result.output
