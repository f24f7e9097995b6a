from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.services import STAFF_GROUP_NAME


def test_command_creates_the_group_once(db):
    out = StringIO()
    call_command("sync_staff_group", stdout=out)
    call_command("sync_staff_group", stdout=out)
    assert Group.objects.filter(name=STAFF_GROUP_NAME).count() == 1
    assert "Personnel des structures" in out.getvalue()
    assert Group.objects.get(name=STAFF_GROUP_NAME).permissions.filter(codename="change_family").exists()
