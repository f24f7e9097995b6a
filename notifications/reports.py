"""The report of the night: one e-mail per family with movements (seed, "Exemple de mail reçu").

Called when a transmission run has settled its structure (reservations.nightly.signals.
transmission_finished). A family's report tells every event not reported yet, in three
parts whose counts each add up to their own lines:

- the movements received (seed wording): the new requests and the cancellation requests,
  and what the night made of each — so "N mouvements reçus" is also the sum of the
  accepted, awaiting, waiting-listed, cancelled and refused lines below it. A request
  withdrawn before the night never reached the structure: neither it nor its withdrawal
  is told;
- the earlier requests the night answered again: waiting-list places given, waiting lists
  cut by staff (reservations.nightly.plan);
- the staff's decisions taken during the day, under their own heading.

Written in the family's language (Family.language: the last one its parents chose on the
site), with the cost of each accepted day and the structure's contact. Events of a run
that died half-way are told by the run that finishes its work. Per chunk of families, in
one transaction: the outbox rows are written and the families' watermarks move to the run
(notifications.models.ReportWatermark) — a family's events are never told twice, and the
outbox row is unique per family and run. The events themselves are never updated.

The bodies are concatenated in Python (notifications.report_bodies, .report_rows) from words
looked up once per run and language; templates/notifications/email/report.* remain as their
reference (notifications/tests/test_report_bodies.py). The events come in one pass over the
night's window (notifications.report_stream); a chunk then costs six statements: the families,
their locks (with the asynchronous commit), their watermarks compared with the pass's, the
outbox rows in one INSERT (notifications.report_store), the watermarks moved, the commit — and
its reports are rendered meanwhile in a second thread (reports_write). Marking each event told
instead (an UPDATE per event: a row version and five index entries, about 20 per family in
bench.batch) was more than half the reports' time (issue 16).
"""
from __future__ import annotations

import datetime
import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Family
from billing.money import format_money
from portal.models import Structure
from reservations.models import Reservation, ReservationEvent, TransmissionRun
from reservations.nightly.plan import FAMILY_REASONS

from .models import OutboxEmail
from .report_bodies import Phrases, body_html, body_text
from .report_rows import rows_html, rows_text
from .report_store import EventRow, chunk_families, chunk_lock, older_writers_wait, outbox_insert, watermarks_move
from .report_stream import UntoldChunk, chunk_reread, untold_chunks

logger = logging.getLogger(__name__)
State = Reservation.State
FAMILY_CHUNK = 500   # families per transaction: a few MB of bodies, five round trips
Kind = ReservationEvent.Kind
OUTCOME_ORDER = (State.ACCEPTED, State.AWAITING_DECISION, State.WAITING_LIST, State.CANCELLED, State.REFUSED)
RECEIVED, EARLIER, STAFF = "received", "earlier", "staff"     # the report's parts, in order
WITHDRAWN = "withdrawn"


@dataclass(slots=True)
class ReportLine:
    """One line of the detail: a day, a child, an activity and what became of the request."""

    part: str
    date: datetime.date
    child: str
    activity: str
    state: str
    outcome: str
    reason: str = ""
    cost: Decimal | None = None      # shown for an accepted day
    promoted: bool = False

    @property
    def day(self) -> str:
        return _day_text(self.date)

    @property
    def cost_text(self) -> str:
        return _money_text(self.cost) if self.cost is not None and self.state == State.ACCEPTED else ""


# A night tells a few hundred days and prices ten thousand times: each is written once.
@lru_cache(maxsize=4096)
def _day_text(date: datetime.date) -> str:
    return date.strftime("%d/%m/%Y")


@lru_cache(maxsize=4096)
def _money_text(cost: Decimal) -> str:
    return format_money(cost)


@dataclass
class Report:
    family: Family
    structure: Structure
    counts: Counter = field(default_factory=Counter)
    lines: list = field(default_factory=list)

    @property
    def greeting(self) -> str:
        return " ".join(part for part in (self.family.civility.strip(), self.family.payer_name.strip()) if part)

    def count(self, part: str, state: str) -> int:
        return sum(1 for line in self.lines if line.part == part and line.state == state)

    def summary(self, phrases: Phrases | None = None) -> list[dict]:
        """The parts that apply, each {"heading", "lines": [{"text", "sub"}]}; every count is
        the number of its detail lines, singular and plural right (in the active language
        unless ``phrases`` says which)."""
        phrases = phrases or Phrases(structure=self.structure, language=translation.get_language(), link="")
        count = phrases.count
        tally = Counter((line.part, line.state, line.promoted) for line in self.lines)
        parts = []
        received = self.counts["new_requests"] + self.counts["cancel_requests"]
        if received:
            sub = [count(key, self.counts[key]) for key in ("new_requests", "cancel_requests") if self.counts[key]]
            lines = [{"text": count("received", received), "sub": sub}]
            lines += _outcome_lines(tally, RECEIVED, count)
            parts.append({"heading": "", "lines": lines})
        earlier = []
        promoted = sum(number for (part, _state, is_promoted), number in tally.items() if part == EARLIER and is_promoted)
        if promoted:
            earlier.append({"text": count("promoted", promoted), "sub": []})
        earlier += _outcome_lines(tally, EARLIER, count, skip_promoted=True)
        if earlier:
            parts.append({"heading": phrases.headings[EARLIER], "lines": earlier})
        staff = _outcome_lines(tally, STAFF, count)
        if staff:
            parts.append({"heading": phrases.headings[STAFF], "lines": staff})
        return parts

    def parts(self) -> list[tuple[str, list[ReportLine]]]:
        """The detail lines by part, in the report's order, parts without lines left out."""
        by_part: dict[str, list[ReportLine]] = {}
        for line in self.lines:
            by_part.setdefault(line.part, []).append(line)
        return [(part, by_part[part]) for part in (RECEIVED, EARLIER, STAFF) if part in by_part]


def _outcome_lines(tally: Counter, part: str, count, *, skip_promoted: bool = False) -> list[dict]:
    numbers = {state: tally[part, state, False] + (0 if skip_promoted else tally[part, state, True])
               for state in OUTCOME_ORDER}
    return [{"text": count(state, numbers[state]), "sub": []} for state in OUTCOME_ORDER if numbers[state]]


def outcome_labels() -> dict:
    """The detail column's words, and the reasons told to families under ("reason", note)
    (translated when called: once per language and batch)."""
    return {
        "promoted": _("Acceptée : votre place en liste d'attente vous a été attribuée"),
        "staff_accepted": _("Acceptée par nos services"), "staff_refused": _("Refusée par nos services"),
        WITHDRAWN: _("Annulée"),
        State.ACCEPTED: _("Acceptée"), State.AWAITING_DECISION: _("En attente de traitement par nos services"),
        State.WAITING_LIST: _("Mise en liste d'attente"), State.CANCELLED: _("Annulée"), State.REFUSED: _("Refusée"),
        **{("reason", note): _(note) for note in FAMILY_REASONS},
    }


def _line(part: str, event: EventRow, labels: dict, *, outcome_key=None) -> ReportLine:
    promoted = event.kind == Kind.PROMOTED
    key = outcome_key or ("promoted" if promoted else event.to_state)
    return ReportLine(part=part, date=event.date, child=event.child, activity=event.activity, state=event.to_state,
                      outcome=labels.get(key, event.to_state), reason=labels.get(("reason", event.note), ""),
                      cost=event.cost, promoted=promoted)


# The kinds and states report_build compares, as plain strings (set lookups, no enum equality).
_REQUESTED, _WITHDRAWN_BEFORE = Kind.REQUESTED.value, Kind.CANCELLED_BEFORE_TRANSMISSION.value
_CANCEL_KINDS = frozenset({Kind.CANCEL_REQUESTED.value, _WITHDRAWN_BEFORE})
_STAFF_KINDS = frozenset({Kind.ACCEPTED.value, Kind.REFUSED.value})
_OUTCOMES = frozenset(state.value for state in OUTCOME_ORDER)
_ACCEPTED, _CANCELLED = State.ACCEPTED.value, State.CANCELLED.value


def report_build(*, family, structure, events: list[EventRow], labels: dict | None = None) -> Report | None:
    """The report of one family from its events (in order); None when nothing is worth telling."""
    labels = labels or outcome_labels()
    report = Report(family=family, structure=structure)
    lines, counts = report.lines, report.counts
    by_reservation: dict[int, list[EventRow]] = {}
    for event in events:
        if (group := by_reservation.get(event.reservation_id)) is None:
            by_reservation[event.reservation_id] = [event]
        else:
            group.append(event)
    for reservation_events in by_reservation.values():
        kinds = {event.kind for event in reservation_events}
        requested = _REQUESTED in kinds
        if requested and _WITHDRAWN_BEFORE in kinds:
            continue   # asked and withdrawn the same day: nothing reached the structure
        answer = None   # the run's last answer that changed the state
        for event in reservation_events:
            if event.from_state == event.to_state:
                continue
            if event.run_id is not None:
                if event.to_state in _OUTCOMES:
                    answer = event
            elif event.kind in _STAFF_KINDS:   # a staff decision
                key = "staff_accepted" if event.to_state == _ACCEPTED else "staff_refused"
                lines.append(_line(STAFF, event, labels, outcome_key=key))
        if requested and answer is not None:
            counts["new_requests"] += 1
            lines.append(_line(RECEIVED, answer, labels))
        elif not kinds.isdisjoint(_CANCEL_KINDS):
            cancelled = [event for event in reservation_events if event.to_state == _CANCELLED]
            if cancelled:
                counts["cancel_requests"] += 1
                lines.append(_line(RECEIVED, cancelled[-1], labels))
        elif answer is not None:
            lines.append(_line(EARLIER, answer, labels))
    if not lines:
        return None
    lines.sort(key=lambda line: (line.date, line.child, line.activity))
    return report


def family_language(family) -> str:
    """The language the family's parents last chose on the site (French by default)."""
    language = getattr(family, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def followup_url() -> str:
    try:
        return settings.SITE_URL + reverse("reservations:followup")
    except NoReverseMatch:
        return settings.SITE_URL + "/"


def report_subject(structure) -> str:
    """The subject names only the structure: rendered once per run."""
    return " ".join(render_to_string("notifications/email/report_subject.txt", {"structure": structure}).split())


def report_render(report: Report, *, link: str | None = None, subject: str | None = None,
                  phrases: Phrases | None = None) -> tuple[str, str, str]:
    """(subject, text, html): the bodies are built by notifications.report_bodies (which
    templates/notifications/email/report.* are the reference of), in the language of
    ``phrases`` — by default the active one."""
    if phrases is None:
        phrases = Phrases(structure=report.structure, language=translation.get_language(), link=link or followup_url())
    summary = report.summary(phrases)
    detail = [(part, rows_text(lines), rows_html(lines)) for part, lines in report.parts()]
    greeting = report.greeting
    return (subject or report_subject(report.structure), body_text(phrases, greeting=greeting, summary=summary, detail=detail),
            body_html(phrases, greeting=greeting, summary=summary, detail=detail))


class _RunWords:
    """Every word of a run's reports, looked up once per language: (labels, phrases, subject).
    Filled by the night's thread only; the rendering thread reads the snapshot it is given."""

    def __init__(self, *, structure: Structure, link: str):
        self.structure, self.link = structure, link
        self.by_language: dict[str, tuple[dict, Phrases, str]] = {}

    def for_families(self, families) -> dict[str, tuple[dict, Phrases, str]]:
        for family in families:
            language = family_language(family)
            if language not in self.by_language:
                with translation.override(language):
                    self.by_language[language] = (outcome_labels(), Phrases(structure=self.structure, language=language,
                                                                            link=self.link), report_subject(self.structure))
        return dict(self.by_language)


def _reports_of(events_by_family: dict, *, families: dict, words: dict, structure: Structure) -> dict:
    """family id → the outbox row of its report (recipient, subject, text, html, status), or None
    when its events tell nothing. Pure Python, no database: it runs in the rendering thread."""
    reports: dict[int, tuple | None] = {}
    for family_id, family_events in events_by_family.items():
        family = families[family_id]
        labels, phrases, subject_line = words[family_language(family)]
        report = report_build(family=family, structure=structure, events=family_events, labels=labels)
        if report is None:
            reports[family_id] = None
            continue
        subject, text, html = report_render(report, subject=subject_line, phrases=phrases)   # the link is in phrases
        recipient = (family.email or "").strip()
        reports[family_id] = (recipient, subject, text, html,
                              OutboxEmail.Status.PENDING if recipient else OutboxEmail.Status.NO_ADDRESS)
    return reports


@dataclass
class _Rendering:
    """A chunk whose reports are being rendered (``reports``: the rendering thread's future)."""

    chunk: UntoldChunk
    families: dict
    words: dict
    reports: Future


def reports_write(*, run: TransmissionRun, queue: bool = True, family_range: tuple[int, int] | None = None) -> dict:
    """Write the outbox rows of a run's reports and mark the events reported; returns counts.

    ``family_range`` (first, last family id, both included) limits the writing to those
    families, so that several workers can share a run's reports; the ranges of one run must
    not overlap (a family told twice would get two e-mails — the outbox row is unique per
    family and run, so the second writer would fail rather than send it twice).
    Sending is queued on commit (one Celery task per chunk of families) unless ``queue`` is
    false or settings.OUTBOX_AUTO_SEND is off.

    A chunk's reports are rendered in a second thread while the previous chunk is written and
    the next one read: Python and the database work at the same time (psycopg2 lets go of the
    interpreter while it waits for the server), the night's two halves of the reports' time
    (issue 16). The thread touches no database; the chunk is written in this one, under its
    lock, where the families another writer told since the pass are read and rendered again.
    """
    structure = run.structure
    queue = queue and settings.OUTBOX_AUTO_SEND
    counts = Counter(emails_queued=0, emails_no_address=0)
    link = followup_url()
    words = _RunWords(structure=structure, link=link)
    if not older_writers_wait(started_at=run.started_at):
        logger.warning("Run %s: a transaction older than the run is still open; its events, if any, may not be told.",
                       run.pk)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="night-reports") as renderer:
        ahead: _Rendering | None = None
        for chunk in untold_chunks(run=run, family_range=family_range, size=FAMILY_CHUNK):
            families = chunk_families(chunk.family_ids)
            chunk_words = words.for_families(families.values())
            rendering = _Rendering(chunk, families, chunk_words, renderer.submit(
                _reports_of, chunk.events, families=families, words=chunk_words, structure=structure))
            if ahead is not None:
                _chunk_write(run=run, rendering=ahead, counts=counts, queue=queue)
            ahead = rendering
        if ahead is not None:
            _chunk_write(run=run, rendering=ahead, counts=counts, queue=queue)
    return dict(counts)


def _chunk_write(*, run: TransmissionRun, rendering: _Rendering, counts: Counter, queue: bool) -> None:
    """One chunk's outbox rows and watermarks, in one transaction under the chunk's lock."""
    from .tasks import send_outbox_batch  # the task module imports this one's app only at call time

    chunk = rendering.chunk
    with transaction.atomic():
        chunk_lock(chunk.family_ids)
        moved, reread = chunk_reread(run=run, chunk=chunk)
        reports = rendering.reports.result()
        if moved:
            reports = {family_id: row for family_id, row in reports.items() if family_id not in moved}
            reports.update(_reports_of(reread, families=rendering.families, words=rendering.words, structure=run.structure))
        rows = []
        for family_id in chunk.family_ids:
            if (row := reports.get(family_id)) is not None:
                rows.append((family_id, *row))
                counts["emails_queued" if row[-1] == OutboxEmail.Status.PENDING else "emails_no_address"] += 1
        created = outbox_insert(run=run, rows=rows)
        watermarks_move(run=run, family_ids=list(reports))   # every family read, told something or not
        pending = [pk for pk, status in created if status == OutboxEmail.Status.PENDING]
        if queue and pending:
            transaction.on_commit(partial(send_outbox_batch.delay, pending))
