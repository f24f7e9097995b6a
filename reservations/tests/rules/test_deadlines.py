"""Every deadline rule, in Europe/Paris, across DST changes, public holidays and closures."""
import datetime

import pytest

from portal.dates import today
from reservations.models import DeadlineRule
from reservations.rules.closures import public_holidays_between
from reservations.rules.deadlines import (
    PARIS,
    BeforePeriod,
    Cutoff,
    DaysBefore,
    FixedDate,
    HoursBefore,
    OpeningWindow,
    UntilStart,
    WeeklyCutoff,
    cutoffs_from_rows,
    format_deadline,
    format_moment,
    rule_from_model,
    working_days_before,
)

D = datetime.date
T = datetime.time


def paris(y, m, d, hh=0, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=PARIS)


def test_days_before_is_the_day_before_at_the_given_time():
    rule = DaysBefore(days=1, at_time=T(9, 0))
    assert rule.deadline_for(D(2026, 11, 26), non_working_days=set()) == paris(2026, 11, 25, 9, 0)


def test_days_before_keeps_wall_clock_time_across_spring_dst_change():
    # 29 March 2026: clocks go 02:00 → 03:00. "2 days before at 09:00" for Monday 30 March.
    deadline = DaysBefore(days=2, at_time=T(9, 0)).deadline_for(D(2026, 3, 30), non_working_days=set())
    assert deadline == paris(2026, 3, 28, 9, 0)
    assert deadline.utcoffset() == datetime.timedelta(hours=1)
    monday = DaysBefore(days=0, at_time=T(9, 0)).deadline_for(D(2026, 3, 30), non_working_days=set())
    assert monday.utcoffset() == datetime.timedelta(hours=2)
    # Wall-clock 09:00 both days: 48 h apart on the calendar, 47 real hours.
    assert monday.astimezone(datetime.UTC) - deadline.astimezone(datetime.UTC) == datetime.timedelta(hours=47)


def test_days_before_in_working_days_skips_the_weekend():
    # Monday 23 Nov 2026, J-2 working days at 12:00 → Thursday 19.
    rule = DaysBefore(days=2, at_time=T(12, 0), working_days=True)
    assert rule.deadline_for(D(2026, 11, 23), non_working_days=set()) == paris(2026, 11, 19, 12, 0)


def test_working_days_skip_public_holidays_11_november():
    # Thursday 12 Nov 2026, 1 working day before: Wednesday 11 Nov is Armistice → Tuesday 10.
    closed = public_holidays_between(D(2026, 11, 1), D(2026, 11, 30))
    assert D(2026, 11, 11) in closed
    rule = DaysBefore(days=1, at_time=T(18, 0), working_days=True)
    assert rule.deadline_for(D(2026, 11, 12), non_working_days=closed) == paris(2026, 11, 10, 18, 0)


def test_working_days_skip_1_may_and_a_closure_day():
    # Monday 4 May 2026: Friday 1 May is a holiday, Thursday 30 April a closure → Wednesday 29 April.
    closed = dict(public_holidays_between(D(2026, 4, 1), D(2026, 5, 31)))
    closed[D(2026, 4, 30)] = "Fermeture"
    assert working_days_before(D(2026, 5, 4), 1, closed) == D(2026, 4, 29)
    rule = DaysBefore(days=1, at_time=T(9, 0), working_days=True)
    assert rule.deadline_for(D(2026, 5, 4), non_working_days=closed) == paris(2026, 4, 29, 9, 0)


def test_calendar_days_do_not_skip_anything():
    rule = DaysBefore(days=2, at_time=T(12, 0), working_days=False)
    assert rule.deadline_for(D(2026, 11, 23), non_working_days={D(2026, 11, 21)}) == paris(2026, 11, 21, 12, 0)


def test_weekly_cutoff_is_tuesday_of_the_previous_week_for_the_whole_week():
    rule = WeeklyCutoff.whole_week(1, T(23, 59))
    for day in range(30, 37):  # Monday 30 Nov → Sunday 6 Dec 2026
        occurrence = D(2026, 11, 30) + datetime.timedelta(days=day - 30)
        assert rule.deadline_for(occurrence, non_working_days=set()) == paris(2026, 11, 24, 23, 59)


def test_weekly_cutoff_across_autumn_dst_change():
    # Week of Monday 2 Nov 2026; previous Tuesday 27 Oct is after the 25 Oct change (UTC+1).
    deadline = WeeklyCutoff.whole_week(1, T(23, 59)).deadline_for(D(2026, 11, 4), non_working_days=set())
    assert deadline == paris(2026, 10, 27, 23, 59)
    assert deadline.utcoffset() == datetime.timedelta(hours=1)


def test_hours_before_counts_real_hours_across_autumn_dst():
    # Monday 26 Oct 2026 07:30 (UTC+1); 72 real hours before is Friday 23 Oct 08:30 (UTC+2).
    deadline = HoursBefore(hours=72).deadline_for(D(2026, 10, 26), start_time=T(7, 30), non_working_days=set())
    assert deadline == paris(2026, 10, 23, 8, 30)
    assert deadline.utcoffset() == datetime.timedelta(hours=2)


def test_hours_before_counts_real_hours_across_spring_dst():
    # Monday 30 March 2026 07:30 (UTC+2); 48 real hours before is Saturday 28 March 06:30 (UTC+1).
    deadline = HoursBefore(hours=48).deadline_for(D(2026, 3, 30), start_time=T(7, 30), non_working_days=set())
    assert deadline == paris(2026, 3, 28, 6, 30)


def test_before_period_is_n_full_days_before_the_first_day_at_midnight():
    rule = BeforePeriod(days=15)
    # Holidays start Monday 19 Oct 2026; every day of the period shares the deadline.
    for day in (D(2026, 10, 19), D(2026, 10, 27)):
        assert rule.deadline_for(day, period_start=D(2026, 10, 19), non_working_days=set()) == paris(2026, 10, 4, 0, 0)


def test_before_period_without_a_period_uses_the_day_itself():
    assert BeforePeriod(days=2).deadline_for(D(2026, 10, 19), non_working_days=set()) == paris(2026, 10, 17)


def test_fixed_date_is_returned_in_paris_time():
    fixed = datetime.datetime(2026, 6, 30, 10, 0, tzinfo=datetime.UTC)
    deadline = FixedDate(deadline=fixed).deadline_for(D(2026, 7, 10), non_working_days=set())
    assert deadline == fixed and deadline.tzinfo == PARIS and deadline.hour == 12


def test_no_rule_means_until_the_occurrence_starts():
    assert UntilStart().deadline_for(D(2026, 12, 1), start_time=T(7, 30), non_working_days=set()) == paris(2026, 12, 1, 7, 30)


def test_opening_window_days_ahead_and_date_take_the_later():
    assert OpeningWindow().opens_at(D(2026, 12, 1)) is None
    assert OpeningWindow(days_ahead=60).opens_at(D(2026, 12, 1)) == paris(2026, 10, 2)
    assert OpeningWindow(days_ahead=60, opens_on=D(2026, 11, 1)).opens_at(D(2026, 12, 1)) == paris(2026, 11, 1)
    assert OpeningWindow(opens_on=D(2026, 9, 1)).opens_at(D(2026, 12, 1)) == paris(2026, 9, 1)


@pytest.mark.parametrize("window", [OpeningWindow(), OpeningWindow(days_ahead=30), OpeningWindow(opens_on=D(2026, 10, 26)),
                                    OpeningWindow(days_ahead=3, opens_on=D(2026, 10, 20))])
def test_is_open_answers_as_opens_at_around_midnight_and_the_dst_change(window):
    """The month grid asks ``is_open`` with the Paris date of now instead of comparing moments."""
    days = [D(2026, 10, 20) + datetime.timedelta(days=n) for n in range(45)]
    utc = datetime.UTC
    moments = [paris(2026, 10, 24, 23, 59), paris(2026, 10, 25), paris(2026, 10, 25, 0, 1), paris(2026, 10, 26, 1, 30),
               datetime.datetime(2026, 10, 24, 22, 0, tzinfo=utc), datetime.datetime(2026, 10, 25, 23, 0, tzinfo=utc)]
    answers = set()
    for now in moments:
        for day in days:
            opens_at = window.opens_at(day)
            expected = opens_at is None or now >= opens_at
            assert window.is_open(day, today=today(now)) is expected, (now, day)
            answers.add(expected)
    assert answers == ({True} if window == OpeningWindow() else {True, False})


@pytest.mark.parametrize(("fields", "expected"), [
    ({"kind": "days_before", "days": 2, "at_time": T(12, 0), "working_days": True}, DaysBefore(2, T(12, 0), True)),
    ({"kind": "hours_before", "hours": 72}, HoursBefore(72)),
    ({"kind": "before_period", "days": 15}, BeforePeriod(15)),
    ({"kind": "fixed_date", "fixed_deadline": paris(2026, 6, 30, 12)}, FixedDate(paris(2026, 6, 30, 12))),
])
def test_rule_from_model_converts_every_kind(fields, expected):
    assert rule_from_model(DeadlineRule(name="r", **fields)) == expected


def test_rule_from_model_reads_a_weekly_rules_lines():
    rule = DeadlineRule(name="r", kind="weekly_cutoff")
    lines = ((4, T(9, 0), [0, 1]), (1, T(9, 0), [3, 4]))
    assert rule_from_model(rule, cutoffs=cutoffs_from_rows(lines)) == WeeklyCutoff((
        Cutoff(4, T(9, 0), frozenset({0, 1})), Cutoff(1, T(9, 0), frozenset({3, 4}))))
    assert rule_from_model(rule) == UntilStart()     # no line (the admin refuses it): no deadline


def test_two_cutoffs_a_week_friday_for_monday_and_tuesday_tuesday_for_thursday_and_friday():
    # « Vendredi 09:00 pour lundi et mardi ; mardi 09:00 pour jeudi et vendredi » (week of Monday 7 Dec 2026).
    rule = WeeklyCutoff((Cutoff(4, T(9, 0), frozenset({0, 1})), Cutoff(1, T(9, 0), frozenset({3, 4}))))
    expected = {
        D(2026, 12, 7): paris(2026, 12, 4, 9, 0),    # Monday → the Friday before
        D(2026, 12, 8): paris(2026, 12, 4, 9, 0),    # Tuesday → the same Friday
        D(2026, 12, 10): paris(2026, 12, 8, 9, 0),   # Thursday → that week's Tuesday
        D(2026, 12, 11): paris(2026, 12, 8, 9, 0),   # Friday → the same Tuesday
        D(2026, 12, 9): paris(2026, 12, 8, 9, 0),    # Wednesday, not covered: the nearest cut-off before it
    }
    for day, deadline in expected.items():
        assert rule.deadline_for(day, non_working_days=set()) == deadline, day
    # Across the autumn change: Monday 26 Oct 2026 closes Friday 23 Oct 09:00 summer time.
    assert rule.deadline_for(D(2026, 10, 26), non_working_days=set()).utcoffset() == datetime.timedelta(hours=2)


def test_rule_from_model_without_rule_is_until_start():
    assert rule_from_model(None) == UntilStart()


def test_format_moment_in_plain_french_words():
    from django.utils import translation
    with translation.override("fr"):
        assert format_moment(paris(2026, 4, 14, 23, 59), today=D(2026, 4, 2)) == "mardi 14 à 23:59"
        assert format_moment(paris(2026, 4, 14, 23, 59), today=D(2026, 3, 2)) == "mardi 14 avril à 23:59"


def test_a_deadline_at_midnight_is_written_as_the_end_of_the_day_before():
    # "15 jours pleins avant" gives 00:00 on a Friday: the parent has until Thursday evening.
    from django.utils import translation
    with translation.override("fr"):
        assert format_deadline(paris(2026, 12, 4, 0, 0), today=D(2026, 12, 1)) == "jeudi 3 à 23:59"
        assert format_deadline(paris(2026, 12, 1, 0, 0), today=D(2026, 11, 20)) == "lundi 30 à 23:59"
        assert format_deadline(paris(2027, 1, 1, 0, 0), today=D(2026, 11, 20)) == "jeudi 31 décembre à 23:59"
        assert format_deadline(paris(2026, 12, 4, 9, 0), today=D(2026, 12, 1)) == "vendredi 4 à 09:00"
        # An opening time is a start, not an end: it stays as it is.
        assert format_moment(paris(2026, 12, 4, 0, 0), today=D(2026, 12, 1)) == "vendredi 4 à 00:00"
