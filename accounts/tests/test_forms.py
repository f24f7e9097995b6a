from accounts.forms import ProfileEmailForm, ProfileQuestionForm, RecoverAnswerForm
from accounts.tests.factories import UserFactory


def test_email_form_refuses_the_current_address_whatever_its_case(db):
    user = UserFactory(email="moi@example.org")
    form = ProfileEmailForm({"email": " Moi@Example.org "}, user=user)
    assert not form.is_valid()
    assert form.errors["email"] == ["C'est déjà l'adresse enregistrée pour votre compte."]
    assert ProfileEmailForm({"email": "autre@example.org"}, user=user).is_valid()


def test_email_form_refuses_a_malformed_address(db):
    form = ProfileEmailForm({"email": "pas-une-adresse"}, user=UserFactory())
    assert not form.is_valid()


def test_question_form_needs_a_meaningful_answer():
    assert not ProfileQuestionForm({"question": "Couleur ?", "answer": "  é "}).is_valid()
    assert ProfileQuestionForm({"question": "Couleur ?", "answer": "vert"}).is_valid()


def test_profile_forms_carry_their_action_name_for_the_single_profile_view():
    html = str(ProfileQuestionForm().helper.inputs[0].value)
    assert html == "question"


def test_recovery_answer_form_shows_the_question_as_help():
    form = RecoverAnswerForm(question="Nom de mon chat ?")
    assert "Nom de mon chat ?" in str(form.fields["answer"].help_text)
