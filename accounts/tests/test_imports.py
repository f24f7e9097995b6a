"""Staff import families, logins and children from a spreadsheet through the admin (two steps)."""
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Child, Family, Invitation, User
from accounts.services import staff_user_enrol
from accounts.tests.factories import FamilyFactory, StaffMembershipFactory, StructureFactory, UserFactory
from notifications.models import OutboxEmail

FAMILY_HEADERS = ["N° famille", "Civilité", "Nom du payeur", "Quotient familial", "E-mail", "Téléphone", "Adresse",
                  "Identifiant"]
XLSX, CSV = "0", "1"


def xlsx(headers, rows) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    book.save(content)
    content.seek(0)
    content.name = "familles.xlsx"
    return content


def families_rows(count):
    return [[f"{n:06d}", "M." if n % 2 else "Mme", f"FAMILLE{n} Jean", "812,50" if n % 3 else 1200,
             f"famille{n}@example.org", f"06 00 00 {n % 100:02d} {n % 97:02d}", f"{n} rue des Écoles\n31000 Toulouse",
             f"parent.{n:04d}"] for n in range(1, count + 1)]


@pytest.fixture
def carteville(db):
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def staff(client, carteville):
    membership = StaffMembershipFactory(structure=carteville, user=UserFactory(username="agent.carteville", is_staff=True))
    staff_user_enrol(user=membership.user)
    client.force_login(membership.user)
    return client


def import_file(client, model, structure, content, *, fmt=XLSX):
    """The admin's two steps: upload (the preview, a dry run), then confirm; returns both responses."""
    url = reverse(f"admin:accounts_{model}_import")
    preview = client.post(url, {"structure": structure.pk, "format": fmt, "resource": "0", "import_file": content})
    assert preview.status_code == 200
    confirm = preview.context.get("confirm_form")
    if confirm is None:
        return preview, None
    data = {name: field.value() for name, field in ((name, confirm[name]) for name in confirm.fields)}
    done = client.post(reverse(f"admin:accounts_{model}_process_import"), data)
    return preview, done


def test_400_families_imported_in_two_steps_then_reimported_without_change(staff, carteville,
                                                                           django_capture_on_commit_callbacks):
    rows = families_rows(400)

    preview, _done = None, None
    content = xlsx(FAMILY_HEADERS, rows)
    url = reverse("admin:accounts_family_import")
    preview = staff.post(url, {"structure": carteville.pk, "format": XLSX, "resource": "0", "import_file": content})
    page = preview.content.decode()
    assert "400 lignes à créer" in page and "Lignes rejetées" not in page
    assert Family.objects.count() == 0 and User.objects.filter(username__startswith="parent.").count() == 0  # a dry run
    confirm = preview.context["confirm_form"]
    data = {name: confirm[name].value() for name in confirm.fields}
    with django_capture_on_commit_callbacks(execute=True):
        done = staff.post(reverse("admin:accounts_family_process_import"), data)
    assert done.status_code == 302

    families = Family.objects.filter(structure=carteville)
    assert families.count() == 400
    family = families.get(number="000002")
    assert family.quotient == Decimal("812.50") and family.civility == "Mme" and family.address.endswith("Toulouse")
    assert list(family.users.values_list("username", flat=True)) == ["parent.0002"]
    assert not family.users.get().has_usable_password()
    invitations = OutboxEmail.objects.filter(kind=OutboxEmail.Kind.INVITATION)
    assert invitations.count() == 400
    assert sorted(invitations.values_list("recipient", flat=True)) == sorted(f"famille{n}@example.org" for n in range(1, 401))
    assert len(mail.outbox) == 400 and len({message.to[0] for message in mail.outbox}) == 400

    # The same file again: everything unchanged, no new login, no new e-mail.
    preview, done = import_file(staff, "family", carteville, xlsx(FAMILY_HEADERS, rows))
    assert "400 lignes inchangées" in preview.content.decode()
    assert done.status_code == 302
    assert Family.objects.count() == 400 and Invitation.objects.count() == 400 and invitations.count() == 400

    # One parent follows the link of the e-mail: the password is set, once.
    message = next(m for m in mail.outbox if m.to == ["famille7@example.org"])
    found = re.search(r"http://[^/\s]+(/compte/activer/\S+/)", message.body)
    assert found is not None
    path = found.group(1)
    assert staff.get(path).status_code == 200
    staff.logout()
    response = staff.post(path, {"new_password1": "Une-phrase-de-passe-9", "new_password2": "Une-phrase-de-passe-9"})
    assert response.status_code == 302
    assert staff.login(username="parent.0007", password="Une-phrase-de-passe-9")
    staff.logout()
    again = staff.post(path, {"new_password1": "Autre-phrase-de-passe-8", "new_password2": "Autre-phrase-de-passe-8"})
    assert again.status_code == 400
    assert User.objects.get(username="parent.0007").check_password("Une-phrase-de-passe-9")


def test_rejected_rows_are_listed_with_their_reason_and_the_others_are_imported(staff, carteville):
    UserFactory(username="deja.pris")
    rows = [
        ["000001", "M.", "DUPONT Jean", "500", "pas-une-adresse", "", "", "dupont.j"],
        ["000002", "Mme", "MARTIN Zoé", "beaucoup", "zoe@example.org", "", "", "martin.z"],
        ["000003", "M.", "DURAND Paul", "", "paul@example.org", "", "", "deja.pris"],
        ["000004", "Mme", "", "", "", "", "", ""],
        ["000005", "M.", "PETIT Léo", "700", "", "", "", "petit.l"],
    ]
    preview, done = import_file(staff, "family", carteville, xlsx(FAMILY_HEADERS, rows))
    page = preview.content.decode()
    assert "1 ligne à créer" in page and "4 lignes rejetées" in page
    assert "E-mail : Saisissez une adresse de courriel valide." in page
    assert "n&#x27;est pas un nombre" in page
    assert "deja.pris" in page and "existe déjà" in page and "None" not in page
    assert "Nom du payeur : Ce champ ne peut pas être vide." in page
    assert done.status_code == 302
    assert list(Family.objects.values_list("number", flat=True)) == ["000005"]
    # Without an e-mail address the login waits for its printed letter: no e-mail.
    assert Invitation.objects.get().channel == Invitation.Channel.LETTER
    assert not OutboxEmail.objects.exists()


def test_an_import_never_reaches_another_structure(staff, carteville):
    elsewhere = StructureFactory(name="Association Les Cambianes", slug="cambianes")
    theirs = FamilyFactory(structure=elsewhere, number="000001", payer_name="CAMBIANES Famille", email="c@example.org")
    rows = [["000001", "M.", "CARTEVILLE Famille", "", "cv@example.org", "", "", ""]]

    # Naming the other structure in the form is refused (the choice is not offered).
    url = reverse("admin:accounts_family_import")
    response = staff.post(url, {"structure": elsewhere.pk, "format": XLSX, "resource": "0",
                                "import_file": xlsx(FAMILY_HEADERS, rows)})
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert response.context.get("confirm_form") is None
    # Nor in a forged confirmation step.
    preview = staff.post(url, {"structure": carteville.pk, "format": XLSX, "resource": "0",
                               "import_file": xlsx(FAMILY_HEADERS, rows)})
    confirm = preview.context["confirm_form"]
    forged = {name: confirm[name].value() for name in confirm.fields} | {"structure": elsewhere.pk}
    staff.post(reverse("admin:accounts_family_process_import"), forged)
    theirs.refresh_from_db()
    assert theirs.payer_name == "CAMBIANES Famille" and not Family.objects.filter(structure=carteville).exists()

    # The same number in their own structure is their own family.
    import_file(staff, "family", carteville, xlsx(FAMILY_HEADERS, rows))
    theirs.refresh_from_db()
    assert theirs.payer_name == "CAMBIANES Famille"
    assert Family.objects.get(structure=carteville).payer_name == "CARTEVILLE Famille"


def test_children_imported_from_csv_with_other_column_names_and_their_group(staff, carteville):
    family = FamilyFactory(structure=carteville, number="000123", payer_name="GUIDE DENIS")
    FamilyFactory(structure=StructureFactory(slug="ailleurs"), number="000999")
    csv = io.BytesIO("Numéro de famille;Nom;Prénom;Né le;Classe\n"
                     "000123;GUIDE;Emmy;04/05/2016;CP - École Jules Ferry\n"
                     "000123;GUIDE;Paolo;2019-09-30;PS - Maternelle\n"
                     "000999;AUTRE;Enfant;01/01/2017;CE1\n".encode())
    csv.name = "enfants.csv"
    url = reverse("admin:accounts_child_import")
    preview = staff.post(url, {"structure": carteville.pk, "format": CSV, "resource": "0", "import_file": csv})
    page = preview.content.decode()
    assert "2 lignes à créer" in page and "1 ligne rejetée" in page
    assert "aucune famille n°000999 dans cette structure" in page
    confirm = preview.context["confirm_form"]
    staff.post(reverse("admin:accounts_child_process_import"), {name: confirm[name].value() for name in confirm.fields})
    emmy = Child.objects.get(first_name="Emmy")
    assert emmy.family == family and emmy.group == "CP - École Jules Ferry" and emmy.birth_date.isoformat() == "2016-05-04"
    assert Child.objects.count() == 2


def test_families_export_in_the_import_columns(staff, carteville):
    FamilyFactory(structure=carteville, number="000123", payer_name="GUIDE DENIS", quotient=Decimal("812.50"),
                  users=[UserFactory(username="guide")])
    FamilyFactory(structure=StructureFactory(slug="ailleurs"), payer_name="AILLEURS Famille")
    response = staff.post(reverse("admin:accounts_family_export"), {"format": XLSX, "resource": "0",
                                                                     **{f"familyresource_{f}": "on" for f in (
                                                                         "number", "payer_name", "quotient", "login")}})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["N° famille", "Nom du payeur", "Quotient familial", "Identifiant"]
    assert values[1:] == [["000123", "GUIDE DENIS", "812,50", "guide"]]
