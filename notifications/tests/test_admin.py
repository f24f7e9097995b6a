"""The outbox in the admin: staff see their structure's e-mails, filter them, send failed ones again."""
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from accounts.models import StaffMembership
from accounts.tests.factories import TEST_PASSWORD, FamilyFactory, StructureFactory, UserFactory
from notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:notifications_outboxemail_changelist")


def row(structure, **kwargs):
    family = FamilyFactory(structure=structure, payer_name=kwargs.pop("payer", "DUPONT Jean-Paul"))
    values = {"family": family, "kind": OutboxEmail.Kind.NIGHTLY_REPORT, "recipient": family.email,
              "subject": f"Compte rendu — {structure.name}", "body_text": "Bonjour", **kwargs}
    return OutboxEmail.objects.create(**values)


@pytest.fixture
def carteville():
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def staff_client(client, carteville):
    agent = UserFactory(username="agent.carteville", is_staff=True)
    agent.user_permissions.add(Permission.objects.get(codename="view_outboxemail"))
    StaffMembership.objects.create(user=agent, structure=carteville)
    assert client.login(username=agent.username, password=TEST_PASSWORD)
    return client


def test_staff_see_only_their_structure_and_can_filter_failures(staff_client, carteville):
    row(carteville, payer="DUPONT Jean-Paul", status=OutboxEmail.Status.FAILED, last_error="SMTPServerDisconnected")
    row(carteville, payer="GUIDE Denis", recipient="", status=OutboxEmail.Status.NO_ADDRESS)
    row(StructureFactory(name="Association Les Cambianes"), payer="MARTIN Paul")

    page = staff_client.get(CHANGELIST).content.decode()
    assert "DUPONT Jean-Paul" in page and "GUIDE Denis" in page and "MARTIN Paul" not in page

    failed = staff_client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    assert "DUPONT Jean-Paul" in failed and "GUIDE Denis" not in failed
    assert "GUIDE Denis" in staff_client.get(CHANGELIST, {"q": "GUIDE"}).content.decode()


def test_failed_emails_can_be_sent_again(staff_client, carteville):
    failed = row(carteville, status=OutboxEmail.Status.FAILED, attempts=6)

    response = staff_client.post(CHANGELIST, {"action": "send_again", "_selected_action": [failed.pk]}, follow=True)

    assert "1 e-mail remis en file d&#x27;envoi." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == OutboxEmail.Status.SENT and failed.attempts == 1
    assert len(mail.outbox) == 1
