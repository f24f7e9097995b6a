"""A subject is a plain-text header: a structure named with an apostrophe or an ampersand
reads as it is written, never HTML-escaped (&#x27;, &amp;)."""
import pytest
from django.template.loader import render_to_string

from accounts.tests.factories import StructureFactory
from notifications.reports import report_subject

pytestmark = pytest.mark.django_db
NAME = "Mairie d'Orée & Lac <Nord>"


def test_the_report_subject_keeps_the_structures_name_as_written():
    assert report_subject(StructureFactory(name=NAME)) == f"Compte rendu de vos demandes de réservation — {NAME}"


@pytest.mark.parametrize("template", ["deadline_reminder", "invitation", "payment_receipt"])
def test_every_subject_naming_the_structure_keeps_its_name_as_written(template):
    subject = render_to_string(f"notifications/email/{template}_subject.txt",
                               {"structure": StructureFactory(name=NAME), "amount": "12,50 €"})
    assert NAME in subject and "&#" not in subject and "&amp;" not in subject
