import pytest
from django.http import Http404

from accounts.selectors import child_of_family_or_404, children_of_family, families_of_user, structure_ids_of_staff
from accounts.tests.factories import ChildFactory, FamilyFactory, StaffMembershipFactory, StructureFactory, UserFactory


def test_child_of_own_family_is_found(family):
    child = family.children.get()
    assert child_of_family_or_404(family, str(child.pk)) == child


@pytest.mark.parametrize("kind", ["other_family_same_structure", "other_structure_same_login", "missing", "garbage", "none"])
def test_any_other_child_id_is_a_404(parent, family, kind):
    sibling_family = FamilyFactory(structure=family.structure)
    same_login_elsewhere = FamilyFactory(structure=StructureFactory(), users=[parent])
    child_id = {
        "other_family_same_structure": lambda: ChildFactory(family=sibling_family).pk,
        "other_structure_same_login": lambda: ChildFactory(family=same_login_elsewhere).pk,
        "missing": lambda: 999999,
        "garbage": lambda: "1;DROP",
        "none": lambda: None,
    }[kind]()
    with pytest.raises(Http404):
        child_of_family_or_404(family, child_id)


def test_children_of_family_are_only_its_own_in_name_order(family):
    ChildFactory(family=family, first_name="Aline")
    ChildFactory(first_name="Intrus")
    assert [child.first_name for child in children_of_family(family)] == ["Aline", "Emmy"]


def test_families_of_user_only_attached_ones_sorted_by_structure(db):
    user = UserFactory()
    second = FamilyFactory(structure=StructureFactory(name="Zèbre"), users=[user])
    first = FamilyFactory(structure=StructureFactory(name="Alpha"), users=[user])
    FamilyFactory()
    assert families_of_user(user) == [first, second]


def test_structure_ids_of_staff(db):
    membership = StaffMembershipFactory()
    StaffMembershipFactory()
    assert structure_ids_of_staff(membership.user) == [membership.structure_id]
