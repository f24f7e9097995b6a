import pytest

from accounts.models import normalise_answer
from accounts.tests.factories import ChildFactory, UserFactory


@pytest.mark.parametrize(("typed", "expected"), [
    ("  Sainte-Hélène ", "sainte-helene"),
    ("ÉCOLE  du   Pré", "ecole du pre"),
    ("Straße", "strasse"),
])
def test_normalise_answer_ignores_case_accents_and_spaces(typed, expected):
    assert normalise_answer(typed) == expected


def test_security_answer_is_hashed_and_checked_loosely(db):
    user = UserFactory(security_question="Ville ?")
    assert not user.has_security_question and not user.check_security_answer("")
    user.set_security_answer("Montréal")
    assert user.has_security_question
    assert "ontr" not in user.security_answer_hash
    assert user.check_security_answer(" MONTREAL ")
    assert not user.check_security_answer("Montreuil")


def test_child_display_name_is_name_then_first_name(db):
    assert ChildFactory(first_name="Emmy", last_name="Guide").display_name == "GUIDE Emmy"
