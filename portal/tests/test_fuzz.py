"""No input gives a 5xx: every URL pattern of the project, fuzzed, as anonymous, parent and staff.

The URL resolver is walked, so a pattern added later is fuzzed too. Each pattern gets a
plausible address (a real row's id where it takes one) and fuzzed ones (huge ids, impossible
dates and months, long strings, bad percent-encodings); each address is asked with GET and
fuzzed query strings, POST with fuzzed fields (the page's own field names among them),
POST with an invalid UTF-8 body, and POST with broken multipart bodies under the real CSRF
check. The seed is fixed: a failure is reproduced by running the test again.
"""
import random
import re
import uuid

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter

from accounts.models import User
from accounts.tests.scope_world import build_world

SEED = 15
STRINGS = ["abc", "-1", "0", "99999999999999999999999", "2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31",
           "13", "2026-12", "x" * 3000, "%00", "%C3%28", "%FF%FE", "%E9", "é", "..%2F..%2Fetc%2Fpasswd", "<b>",
           "1;DROP TABLE", "%20", "1e9", "NaN", "[]", "{}", "true"]
INTS = ["0", "1", "2147483648", "9223372036854775808", "99999999999999999999999999"]
PARAMS = ["month", "year", "date", "day", "child", "activity", "structure", "page", "q", "o", "p", "e", "ids", "next",
          "token", "until", "format", "all", "start", "end", "weekday", "action", "_selected_action", "_to_field",
          "_popup", "_changelist_filters", "term", "app_label", "model_name", "field_name", "language", "identifier"]
BROKEN_BODIES = [
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--"),
    ("multipart/form-data; boundary=", b"--\r\n\r\n"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"a\r\n\r\n"),
    ("multipart/form-data; boundary=\u00e9", b"--\xc3\xa9\r\n"),
    ("application/x-www-form-urlencoded", b"month=%FF%FE&child=\xff\xfe&" + b"a=1&" * 1200),
    ("application/x-www-form-urlencoded; charset=nope", b"month=2026-13"),
]
FIELD_NAME = re.compile(r'name="([^"]{1,80})"')
PROJECT_APPS = ("portal", "accounts", "billing", "reservations", "notifications")


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


ROUTES = sorted({route for route, _pattern in _patterns(get_resolver().url_patterns)})
PLACEHOLDER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>(?P<body>[^)]*)\)")


def _admin_row_id(route, world):
    """The staff member's own row for admin/<app>/<model>/<id>/… (the page really opens)."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if not match or match.group(1) not in PROJECT_APPS:
        return "1"
    try:
        model = apps.get_model(match.group(1), match.group(2))
    except LookupError:
        return "1"
    own = world.ids("alpha", model)
    return str(own[0]) if own else "1"


def _fill(route, world, rng, plausible):
    def value(match):
        conv, body = match.group("conv"), match.group("body")
        if body is not None:  # a regex group: one of its alternatives, or anything
            choices = [part for part in body.split("|") if re.fullmatch(r"[\w-]+", part)]
            return choices[0] if plausible and choices else rng.choice(choices + STRINGS if choices else STRINGS)
        converter = get_resolver().pattern.converters.get(match.group("name"))  # never set at the root
        if conv == "int" or isinstance(converter, IntConverter):
            return "1" if plausible else rng.choice(INTS)
        if conv == "uuid" or isinstance(converter, UUIDConverter):
            return str(uuid.UUID(int=rng.getrandbits(128)))
        if plausible:
            return _admin_row_id(route, world) if match.group("name") == "object_id" else "2026-12-02"
        return rng.choice(STRINGS)

    path = PLACEHOLDER.sub(value, route).lstrip("^").rstrip("$").replace(".*", "")
    return "/" + path.replace("\\", "")


def _fuzz_fields(rng, names):
    return {name: rng.choice(STRINGS + INTS) for name in rng.sample(names, min(len(names), 6))}


def _ask(client, verb, *args, **kwargs):
    response = getattr(client, verb)(*args, **kwargs)
    url = args[1] if verb == "generic" else args[0]
    # /health's 503 is its answer when a part is down (here: the world's runs never finished).
    designed = url.startswith("/health") and response.status_code == 503
    assert response.status_code < 500 or designed, f"{verb} {args!r:.300} {kwargs!r:.300} -> {response.status_code}"
    return response


@pytest.fixture
def world(db):
    return build_world()


def test_no_url_answers_a_5xx_whatever_it_is_sent(world):
    logins = {"anonymous": None, "parent": User.objects.get(username="parent.alpha"), "staff": world.staff}
    clients = {role: Client() for role in logins}
    rng = random.Random(SEED)
    for route in [*ROUTES, "nulle-part/", "admin/nulle-part/", "reservations/nulle-part/"]:
        for role, client in clients.items():
            if logins[role] is not None:  # again: the previous route may have been the logout
                client.force_login(logins[role])
            url = _fill(route, world, rng, plausible=True)
            page = _ask(client, "get", url)
            names = sorted(set(FIELD_NAME.findall(page.content.decode(errors="replace"))) | set(PARAMS))
            fuzzed_url = _fill(route, world, rng, plausible=False)
            _ask(client, "get", fuzzed_url, data=_fuzz_fields(rng, PARAMS))
            _ask(client, "get", url, data=_fuzz_fields(rng, names))
            _ask(client, "get", url + "?month=%FF%FE&date=%C3%28&" + "x=" + "9" * 500)
            _ask(client, "post", url, data=_fuzz_fields(rng, names))
            _ask(client, "post", fuzzed_url, data=_fuzz_fields(rng, names))
            _ask(client, "generic", "POST", url, b"\xff\xfe\x00month=\xe9", content_type="application/x-www-form-urlencoded")
        checked = Client(enforce_csrf_checks=True)
        checked.cookies["csrftoken"] = "a" * 32
        content_type, body = rng.choice(BROKEN_BODIES)
        _ask(checked, "generic", "POST", _fill(route, world, rng, plausible=True), body, content_type=content_type)


@pytest.mark.parametrize("content_type,body", [BROKEN_BODIES[0], BROKEN_BODIES[1], BROKEN_BODIES[3]])
@pytest.mark.parametrize("path", ["/nulle-part/", "/compte/connexion/", "/admin/login/"])
def test_a_broken_multipart_body_with_a_csrf_cookie_is_a_400_even_to_an_unknown_address(db, path, content_type, body):
    """The 404 page's CSRF check parsed the body and turned this into a 500 (issue 15 item 2b)."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    assert client.generic("POST", path, body, content_type=content_type).status_code == 400


def test_a_body_over_the_size_limit_to_an_unknown_address_is_a_400(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post("/nulle-part/", data="a=" + "x" * 5000, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
