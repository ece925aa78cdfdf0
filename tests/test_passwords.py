"""The password policy: long enough, and not guessable (zxcvbn's estimate, repeats, sequences)."""
import pytest
from sqlalchemy import select

from course.models import Role, User
from course.services.errors import ServiceError
from course.services.users import create_user, password_problem

#: Each accepted before the policy estimated guesses: ten characters and not in a list of 82.
WEAK = ["0000000000", "1111111111", "aaaaaaaaaa", "abcdefghij", "9876543210", "P@ssw0rd12",
        "abcabcabcabc", "qwertyuiop12", "Password2026", "iloveyou123"]


@pytest.mark.parametrize("password", WEAK)
def test_guessable_passwords_are_refused(password):
    assert password_problem(password, "amal") is not None


@pytest.mark.parametrize("password, says", [("aaaaaaaaaa", "repeats"), ("12121212121212", "repeats"),
                                            ("abcdefghijk", "sequence"), ("9876543210", "sequence")])
def test_repeats_and_sequences_are_named(password, says):
    assert says in str(password_problem(password))


def test_the_persons_own_name_does_not_make_a_password():
    assert password_problem("faroukkarim", "kfarouk", "Karim Farouk") is not None
    assert password_problem("faroukkarim", "amal", "Amal Hassan") is None  # someone else's name is just words


@pytest.mark.parametrize("password", ["correct-horse-battery", "blue-harbour-crane-41", "Nile 7 ferries at dusk",
                                      "x" * 3 + "-river-lantern-" + "9" * 190])
def test_strong_passwords_pass_whatever_their_length(password):
    assert password_problem(password, "amal") is None


def test_a_weak_password_changes_nothing_on_the_password_page(client, make_user, login, session):
    user = make_user(username="amal")
    login(client, "amal")
    before = user.password_hash
    response = client.post("/password", data={"current_password": "correct-horse-battery",
                                              "new_password": "P@ssw0rd12", "confirm": "P@ssw0rd12"})
    assert response.status_code == 200 and "too easy to guess" in response.get_data(as_text=True)
    assert session.scalar(select(User.password_hash).where(User.id == user.id)) == before


def test_creating_an_account_with_a_weak_password_is_refused(app):
    from course.extensions import db
    with app.app_context(), pytest.raises(ServiceError) as refused:
        create_user(db.session, username="karim", password="0000000000", role=Role.OFFICER, full_name="Karim")
    assert refused.value.field == "password"
