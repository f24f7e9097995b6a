"""Demo logins, families and children modelled on the user guide.

Demo only: every password below is printed in the README. Never run on production data.
"""
import datetime

from django.core.management import call_command

from portal.demo import CAMBIANES, CARTEVILLE
from portal.models import Structure

from .models import Child, Family, StaffMembership, User
from .services import staff_user_enrol

DEMO_PARENT_PASSWORD = "portail-demo"
DEMO_STAFF_PASSWORD = "agent-demo"
DEMO_ADMIN_PASSWORD = "admin-demo"


def _user(username, *, password, first_name="", last_name="", email="", is_staff=False, is_superuser=False):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": email,
                  "is_staff": is_staff, "is_superuser": is_superuser},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _family(structure, number, *, payer_name, users, children, **fields):
    family, _ = Family.objects.get_or_create(structure=structure, number=number, defaults={"payer_name": payer_name, **fields})
    family.users.add(*users)
    for first_name, last_name, birth_date in children:
        Child.objects.get_or_create(family=family, first_name=first_name,
                                    defaults={"last_name": last_name, "birth_date": birth_date})
    return family


def seed(*, stdout) -> None:
    carteville = Structure.objects.get(slug=CARTEVILLE)
    cambianes = Structure.objects.get(slug=CAMBIANES)

    guide = _user("guide", password=DEMO_PARENT_PASSWORD, first_name="Denis", last_name="GUIDE", email="denis.guide@example.org")
    _family(carteville, "000123", payer_name="GUIDE DENIS", civility="M.", users=[guide], quotient=620,
            email="denis.guide@example.org", phone="06 12 34 56 78",
            children=[("Emmy", "GUIDE", datetime.date(2012, 3, 14))])

    dupont = _user("dupont", password=DEMO_PARENT_PASSWORD, first_name="Jean-Paul", last_name="DUPONT",
                   email="jp.dupont@example.org")
    children = [("Amalia", "DUPONT", datetime.date(2017, 6, 2)), ("Paolo", "DUPONT", datetime.date(2021, 1, 20))]
    _family(carteville, "000456", payer_name="DUPONT Jean-Paul", civility="M.", users=[dupont], quotient=1150,
            email="jp.dupont@example.org", children=children)
    _family(cambianes, "C-0789", payer_name="DUPONT Jean-Paul", civility="M.", users=[dupont], quotient=1150,
            email="jp.dupont@example.org", children=children)

    call_command("sync_staff_group", stdout=stdout)
    for slug, structure in ((CARTEVILLE, carteville), (CAMBIANES, cambianes)):
        agent = _user(f"agent.{slug}", password=DEMO_STAFF_PASSWORD, first_name="Agent", last_name=structure.name, is_staff=True)
        StaffMembership.objects.get_or_create(user=agent, structure=structure)
        staff_user_enrol(user=agent)
    _user("admin", password=DEMO_ADMIN_PASSWORD, first_name="Admin", last_name="Portail", is_staff=True, is_superuser=True)
    stdout.write("  identifiants : guide, dupont (parents) ; agent.carteville, agent.cambianes (personnel) ; admin")
