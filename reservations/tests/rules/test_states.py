"""The two pure state functions, state by state (seed "Code Couleur" lists)."""
import pytest

from reservations.rules import states as s
from reservations.rules.states import HOLD_BOOKED, HOLD_WAITING, activity_day_state, aggregate_day_state


def state(**kwargs):
    base = {"hold": None, "bookable": True, "cancellable": True, "limited": True, "places_left": 3, "waiting_left": 2}
    base.update(kwargs)
    return activity_day_state(**base)


def test_not_open_or_out_of_deadline():
    assert state(bookable=False) is s.CLOSED


def test_full_including_waiting_list():
    assert state(places_left=0, waiting_left=0) is s.FULL


def test_open_with_places_left():
    assert state() is s.OPEN


def test_open_activity_without_limited_places_is_never_full():
    assert state(limited=False, places_left=0, waiting_left=0) is s.OPEN


def test_full_but_waiting_list_open():
    assert state(places_left=0, waiting_left=1) is s.WAITLIST_OPEN


def test_booked_and_cancellable():
    assert state(hold=HOLD_BOOKED, bookable=False) is s.BOOKED


def test_waiting_listed_and_cancellable():
    assert state(hold=HOLD_WAITING, bookable=False) is s.WAITING


def test_booked_too_late_to_cancel():
    assert state(hold=HOLD_BOOKED, cancellable=False, bookable=False) is s.BOOKED_LOCKED


def test_waiting_listed_too_late_to_cancel():
    assert state(hold=HOLD_WAITING, cancellable=False) is s.WAITING_LOCKED


def test_cart_book_line_is_orange_to_book():
    assert state(cart_action="book") is s.TO_BOOK
    assert s.TO_BOOK.css == "st-to-book"


def test_cart_book_line_on_a_full_day_says_waiting_list():
    assert state(cart_action="book", places_left=0, waiting_left=1) is s.TO_BOOK_WAITING


def test_cart_cancel_line_is_green_to_cancel():
    assert state(hold=HOLD_BOOKED, cart_action="cancel") is s.TO_CANCEL
    assert s.TO_CANCEL.css == "st-to-cancel"


def test_every_state_has_code_label_short_text_icon_and_colour():
    all_states = s.ACTIVITY_STATES + s.CART_STATES + s.AGGREGATE_STATES
    assert len(s.ACTIVITY_STATES) == 8 and len(s.AGGREGATE_STATES) == 8
    for item in all_states:
        assert item.code and str(item.label) and str(item.short) and item.icon and item.css.startswith("st-")
    assert len({item.code for item in all_states}) == len(all_states)


# --- aggregate (no activity selected) ------------------------------------------------------

@pytest.mark.parametrize(("activity_states", "expected"), [
    ([s.CLOSED, s.CLOSED], s.DAY_NONE_OPEN),
    ([], s.DAY_NONE_OPEN),
    ([s.FULL, s.CLOSED], s.DAY_ALL_FULL),
    ([s.OPEN, s.FULL, s.CLOSED], s.DAY_OPEN),
    ([s.OPEN, s.WAITLIST_OPEN], s.DAY_OPEN_WAITLIST),
    ([s.BOOKED, s.OPEN], s.DAY_BOOKED),
    ([s.BOOKED_LOCKED, s.OPEN], s.DAY_BOOKED),
    ([s.BOOKED, s.WAITING], s.DAY_BOOKED_WAITING),
    ([s.BOOKED_LOCKED, s.WAITLIST_OPEN], s.DAY_BOOKED_WAITING),
    ([s.BOOKED_LOCKED, s.CLOSED, s.FULL], s.DAY_BOOKED_LOCKED),
    ([s.BOOKED_LOCKED, s.WAITING_LOCKED, s.CLOSED], s.DAY_BOOKED_LOCKED_WAITING),
    ([s.TO_BOOK, s.CLOSED], s.DAY_BOOKED),
    ([s.TO_BOOK_WAITING, s.CLOSED], s.DAY_BOOKED_WAITING),
    ([s.TO_CANCEL, s.CLOSED], s.DAY_OPEN),
])
def test_aggregate_day_state(activity_states, expected):
    assert aggregate_day_state(activity_states) is expected


def test_legend_lists_the_eight_states_of_the_mode_and_the_cart_colours():
    assert s.legend(aggregate=False)[:8] == list(s.ACTIVITY_STATES)
    assert s.legend(aggregate=True)[:8] == list(s.AGGREGATE_STATES)
    assert s.TO_BOOK in s.legend(aggregate=True) and s.TO_CANCEL in s.legend(aggregate=False)
