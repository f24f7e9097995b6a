import pytest
import time_machine
from django.test import RequestFactory, override_settings

from accounts import throttle

# A lock is recorded in the database (accounts.ThrottleLock) for staff to see and lift.
pytestmark = pytest.mark.django_db


def _request(remote="203.0.113.7", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **meta)


def test_client_ip_ignores_forwarded_for_without_trusted_proxy():
    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert throttle.client_ip(_request(forwarded="1.2.3.4")) == "203.0.113.7"


def test_client_ip_takes_the_address_seen_by_our_outermost_proxy():
    forged_then_real = "6.6.6.6, 198.51.100.9, 10.0.0.2"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert throttle.client_ip(_request(remote="10.0.0.1", forwarded=forged_then_real)) == "10.0.0.2"
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert throttle.client_ip(_request(remote="10.0.0.1", forwarded=forged_then_real)) == "198.51.100.9"


def test_client_ip_with_a_short_forwarded_header_keeps_the_first_address():
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert throttle.client_ip(_request(remote="10.0.0.1", forwarded="198.51.100.9")) == "198.51.100.9"
        assert throttle.client_ip(_request(remote="10.0.0.1")) == "10.0.0.1"


@override_settings(THROTTLE_MAX_FAILURES=3, THROTTLE_COOLDOWN_SECONDS=600)
def test_identifier_is_locked_at_the_limit_then_free_after_the_cooldown():
    with time_machine.travel("2026-11-26 08:00:00 +0000", tick=False) as clock:
        items = throttle.subjects(scope=throttle.LOGIN, request=_request(), identifier="Guide")
        assert throttle.record_failure(items) == 0
        assert throttle.record_failure(items) == 0
        assert throttle.record_failure(items) == 600
        clock.shift(599)
        assert throttle.seconds_locked(items) == 1
        clock.shift(2)
        assert throttle.seconds_locked(items) == 0
        assert throttle.record_failure(items) == 0  # the counter started again


@override_settings(THROTTLE_MAX_FAILURES=2)
def test_identifier_counter_ignores_case_and_spaces_and_scopes_are_separate():
    request = _request()
    throttle.record_failure(throttle.subjects(scope=throttle.LOGIN, request=request, identifier=" guide "))
    throttle.record_failure(throttle.subjects(scope=throttle.LOGIN, request=request, identifier="GUIDE"))
    elsewhere = _request("198.51.100.1")
    assert throttle.seconds_locked(throttle.subjects(scope=throttle.LOGIN, request=elsewhere, identifier="Guide")) > 0
    assert throttle.seconds_locked(throttle.subjects(scope=throttle.ANSWER, request=request, identifier="guide")) == 0


@override_settings(THROTTLE_MAX_FAILURES=2, THROTTLE_IP_MAX_FAILURES=3)
def test_ip_is_locked_across_identifiers():
    request = _request()
    for name in ("a", "b", "c"):
        throttle.record_failure(throttle.subjects(scope=throttle.LOGIN, request=request, identifier=name))
    assert throttle.seconds_locked(throttle.subjects(scope=throttle.LOGIN, request=request, identifier="d")) > 0
    assert throttle.seconds_locked(throttle.subjects(scope=throttle.LOGIN, request=_request("198.51.100.1"), identifier="d")) == 0


@override_settings(THROTTLE_MAX_FAILURES=3)
def test_reset_forgets_the_failures_of_an_identifier():
    items = throttle.subjects(scope=throttle.LOGIN, request=_request(), identifier="guide")
    throttle.record_failure(items)
    throttle.record_failure(items)
    throttle.reset(items[:1])
    assert throttle.record_failure(items) == 0
    assert throttle.record_failure(items) == 0


def test_locked_message_rounds_up_to_whole_minutes_in_french():
    assert throttle.locked_message(61) == "Trop de tentatives. Par sécurité, réessayez dans 2 minutes."
    assert throttle.locked_message(10) == "Trop de tentatives. Par sécurité, réessayez dans 1 minute."
