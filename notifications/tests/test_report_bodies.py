"""The report's bodies, built in Python for speed (notifications.report_bodies), print what
templates/notifications/email/report.txt and report.html print, character for character, on
many report shapes (issue 16: not a word of an e-mail changes). The templates are the
reference; the summary is the one the code built before (copied below), so that the
cached counts and headings are checked too."""
import datetime
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Family
from notifications.report_bodies import Phrases
from notifications.report_rows import rows_html, rows_text
from notifications.reports import EARLIER, OUTCOME_ORDER, RECEIVED, STAFF, Report, ReportLine, outcome_labels, report_render
from portal.models import Structure
from reservations.models import Reservation
from reservations.nightly.plan import FAMILY_REASONS

State = Reservation.State
LINK = "https://portail.example.org/reservations/suivi/?a=1&b=<2>"
NAMES = ["Léa", 'Zoé "Zozo" <b>', "Noé & Cie", "O'Brien", "Amalia"]
ACTIVITIES = ["Restauration Scolaire", "APS & Cie l'été", "<script>3-6 ans</script>", "Accueil de Loisirs"]
STRUCTURES = [
    {"name": "Mairie de CarteVille"},
    {"name": "Mairie d'Ici & <Là>", "contact_phone": "01 23 45 67 89"},
    {"name": "Enfance", "contact_email": "enfance@carteville.fr"},
    {"name": "Centre \"Soleil\"", "address": "1 place de l'Église\r\n75000 Paris <cedex>\nFrance"},
    {"name": "Tout", "contact_phone": "01 23", "contact_email": "a&b@example.org", "address": "Rue unique"},
]


def previous_summary(report: Report) -> list[dict]:
    """Report.summary as written before issue 16 (ngettext per line, per report)."""
    texts = {
        State.ACCEPTED: lambda n: ngettext("%(n)s réservation a été acceptée", "%(n)s réservations ont été acceptées", n),
        State.AWAITING_DECISION: lambda n: ngettext(
            "%(n)s réservation est en attente de traitement par nos services",
            "%(n)s réservations sont en attente de traitement par nos services", n),
        State.WAITING_LIST: lambda n: ngettext("%(n)s réservation a été mise en liste d'attente",
                                               "%(n)s réservations ont été mises en liste d'attente", n),
        State.CANCELLED: lambda n: ngettext("%(n)s réservation a été annulée", "%(n)s réservations ont été annulées", n),
        State.REFUSED: lambda n: ngettext("%(n)s réservation a été refusée", "%(n)s réservations ont été refusées", n),
    }

    def outcome_lines(part, *, skip_promoted=False):
        counts = Counter(line.state for line in report.lines
                         if line.part == part and not (skip_promoted and line.promoted))
        return [{"text": texts[state](counts[state]) % {"n": counts[state]}, "sub": []}
                for state in OUTCOME_ORDER if counts[state]]

    parts = []
    received = report.counts["new_requests"] + report.counts["cancel_requests"]
    if received:
        sub = []
        if report.counts["new_requests"]:
            sub.append(ngettext("%(n)s nouvelle demande de réservation", "%(n)s nouvelles demandes de réservation",
                                report.counts["new_requests"]) % {"n": report.counts["new_requests"]})
        if report.counts["cancel_requests"]:
            sub.append(ngettext("%(n)s demande d'annulation", "%(n)s demandes d'annulation",
                                report.counts["cancel_requests"]) % {"n": report.counts["cancel_requests"]})
        lines = [{"text": ngettext(
            "%(n)s mouvement sur vos demandes de réservations a été reçu, dont :",
            "%(n)s mouvements sur vos demandes de réservations ont été reçus, dont :", received) % {"n": received},
            "sub": sub}]
        parts.append({"heading": "", "lines": lines + outcome_lines(RECEIVED)})
    earlier = []
    promoted = sum(1 for line in report.lines if line.part == EARLIER and line.promoted)
    if promoted:
        earlier.append({"text": ngettext("%(n)s place en liste d'attente vous a été attribuée",
                                         "%(n)s places en liste d'attente vous ont été attribuées", promoted)
                        % {"n": promoted}, "sub": []})
    earlier += outcome_lines(EARLIER, skip_promoted=True)
    if earlier:
        parts.append({"heading": _("Suite de vos demandes précédentes :"), "lines": earlier})
    staff = outcome_lines(STAFF)
    if staff:
        parts.append({"heading": _("Décisions de nos services sur vos demandes en attente :"), "lines": staff})
    return parts


def reference(report: Report) -> tuple[str, str]:
    """The bodies the templates print (in the active language)."""
    titles = {RECEIVED: _("Demandes reçues"), EARLIER: _("Suite de vos demandes précédentes"),
              STAFF: _("Décisions de nos services")}
    detail = [{"title": titles[part], "lines": lines, "rows_text": rows_text(lines), "rows_html": rows_html(lines)}
              for part in (RECEIVED, EARLIER, STAFF) if (lines := [line for line in report.lines if line.part == part])]
    context = {"report": report, "greeting": report.greeting, "structure": report.structure,
               "summary": previous_summary(report), "detail": detail, "followup_url": LINK,
               "language": translation.get_language()}
    return (render_to_string("notifications/email/report.txt", context),
            render_to_string("notifications/email/report.html", context))


def random_report(rng: random.Random, *, structure: Structure, labels: dict) -> Report:
    family = Family(civility=rng.choice(["", "M.", "Mme", "  "]),
                    payer_name=rng.choice(["DUPONT Jean-Paul", "L'ÉTÉ <Anne> & Co", ' "Quoted" ', "X"]))
    report = Report(family=family, structure=structure)
    start = datetime.date(2027, 1, 4)
    for _index in range(rng.choice([1, 1, 2, 3, 7, 15])):
        part = rng.choice([RECEIVED, RECEIVED, EARLIER, STAFF])
        state = rng.choice(OUTCOME_ORDER)
        promoted = part != STAFF and state == State.ACCEPTED and rng.random() < 0.4
        key = "promoted" if promoted else state
        if part == STAFF:
            state = rng.choice([State.ACCEPTED, State.REFUSED])
            key = "staff_accepted" if state == State.ACCEPTED else "staff_refused"
        note = rng.choice(["", "", "liste d'attente", *FAMILY_REASONS])
        report.lines.append(ReportLine(
            part=part, date=start + datetime.timedelta(days=rng.randrange(60)), child=rng.choice(NAMES),
            activity=rng.choice(ACTIVITIES), state=state, outcome=labels[key], reason=labels.get(("reason", note), ""),
            cost=rng.choice([None, Decimal("3.59"), Decimal("1234.5"), Decimal("0")]), promoted=promoted))
        if part == RECEIVED:
            report.counts["cancel_requests" if state == State.CANCELLED and rng.random() < 0.5 else "new_requests"] += 1
    report.lines.sort(key=lambda line: (line.date, line.child, line.activity))
    return report


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("contact", range(len(STRUCTURES)))
def test_python_bodies_are_the_templates_characters(language, contact):
    rng = random.Random(f"{language}{contact}")
    structure = Structure(**STRUCTURES[contact])
    with translation.override(language):
        labels = outcome_labels()
        reports = [random_report(rng, structure=structure, labels=labels) for _index in range(40)]
        expected = [reference(report) for report in reports]
    # The run builds one Phrases per language and renders with whatever language is active.
    phrases = Phrases(structure=structure, language=language, link=LINK)
    with translation.override("en" if language == "fr" else "fr"):
        built = [report_render(report, link=LINK, subject="s", phrases=phrases)[1:] for report in reports]
    shapes = {(bool(report.counts), tuple(sorted({line.part for line in report.lines}))) for report in reports}
    assert len(shapes) >= 5   # the shapes vary: parts alone and together, with and without counts
    for report, (text, html), (reference_text, reference_html) in zip(reports, built, expected, strict=True):
        assert text == reference_text, report
        assert html == reference_html, report


def test_rendering_without_phrases_uses_the_active_language():
    structure = Structure(**STRUCTURES[4])
    with translation.override("en"):
        report = random_report(random.Random(1), structure=structure, labels=outcome_labels())
        assert report_render(report, link=LINK, subject="s")[1:] == reference(report)


def test_html_body_escapes_what_a_family_or_staff_typed_and_not_the_phrases():
    structure = Structure(**STRUCTURES[1] | {"address": "a <b>\r\nc"})
    family = Family(civility="M.", payer_name="<b>X</b> & fils")
    report = Report(family=family, structure=structure, counts=Counter(new_requests=1))
    report.lines.append(ReportLine(part=RECEIVED, date=datetime.date(2027, 1, 4), child="Léa", activity="A",
                                   state=State.WAITING_LIST, outcome="Mise en liste d'attente"))
    with translation.override("fr"):
        _subject, text, html = report_render(report, link=LINK, subject="s")
    assert "M. &lt;b&gt;X&lt;/b&gt; &amp; fils" in html and "M. <b>X</b> & fils" in text
    assert "Mairie d&#x27;Ici &amp; &lt;Là&gt;" in html and "a &lt;b&gt;<br>c" in html
    assert "Vous pouvez consulter l'état" in html      # a translated phrase, not escaped
    assert "1 réservation a été mise en liste d&#x27;attente" in html
