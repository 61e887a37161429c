"""Property tests for the portal's JSON body reader (issue 7, security suite).

Whatever bytes a client sends as a body, json_body either returns a JSON object whose every string is real
text (it encodes as UTF-8) or raises the portal's own ApiError with 400, 413 or 415 — never anything else,
which Falcon would turn into a 500.
"""

from __future__ import annotations

import json

import falcon
import falcon.testing
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gkh.server.http import ApiError, json_body

PROPS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])

# JSON values as clients build them, strings from the whole of Unicode (lone surrogates included).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(st.characters(codec=None)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(st.characters(codec=None)), inner,
                                                                max_size=4),
    max_leaves=20,
)


def read(body: bytes, content_type: str = "application/json") -> dict | ApiError:
    environ = falcon.testing.create_environ(method="POST", body=body, headers={"Content-Type": content_type})
    try:
        return json_body(falcon.Request(environ))
    except ApiError as error:
        return error


def check(outcome: dict | ApiError) -> None:
    if isinstance(outcome, ApiError):
        assert outcome.status_code in (400, 413, 415), outcome
        assert outcome.description.isprintable() and len(outcome.description) < 300
    else:
        assert isinstance(outcome, dict)
        json.dumps(outcome, ensure_ascii=False).encode("utf-8")  # no lone surrogate got through


@PROPS
@given(st.binary(max_size=2000))
@example(b"[" * 100_000)
@example(b'{"a": NaN}')
@example(b'{"a": "\\ud800"}')
@example(b"\xff\xfe{}")
def test_any_bytes_are_an_object_or_the_portals_400(body):
    check(read(body))


@PROPS
@given(json_values)
@example({"login": "\ud800"})
@example({"values": [["\udfff"]]})
@example({"\udc00": 1})
def test_any_json_a_client_builds_is_an_object_or_the_portals_400(value):
    check(read(json.dumps(value).encode()))  # ensure_ascii: a lone surrogate travels as its \u escape


# Text an engine can store: any UTF-8 but NUL, which PostgreSQL's text cannot hold.
real_text = st.characters(codec="utf-8", exclude_characters="\x00")


@PROPS
@given(st.dictionaries(st.text(real_text, max_size=10), st.text(real_text, max_size=20), max_size=5))
def test_an_object_of_real_text_comes_back_as_sent(value):
    assert read(json.dumps(value, ensure_ascii=False).encode("utf-8")) == value


@PROPS
@given(st.text(real_text, max_size=10), st.text(real_text, max_size=10), st.text(real_text, max_size=10))
def test_a_nul_anywhere_in_a_value_is_the_portals_400_naming_its_field(field, before, after):
    outcome = read(json.dumps({field: [{"x": before + "\x00" + after}]}).encode())
    assert isinstance(outcome, ApiError) and outcome.status_code == 400
    assert "NUL" in outcome.description


def test_a_form_body_is_415():
    assert read(b"a=1", "application/x-www-form-urlencoded").status_code == 415
