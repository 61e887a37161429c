"""gkh.protocol, the contract both sides read: error codes, the file-name header, the one rule for a portal's URL."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gkh import protocol
from gkh.protocol import (
    ERROR_CODES,
    MAX_FILE_NAME,
    PortalUrl,
    PortalUrlError,
    code_for,
    decode_file_name,
    encode_file_name,
    parse_portal_url,
)

ROOT = Path(__file__).resolve().parents[2]
PROPS = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def test_the_prefix_and_the_page_limits():
    assert protocol.API_PREFIX == "/api/v1"
    assert (protocol.DEFAULT_PAGE, protocol.MAX_PAGE) == (100, 1000)


# --- error codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [
    (400, "invalid"), (401, "unauthenticated"), (403, "forbidden"), (404, "not_found"),
    (405, "method_not_allowed"), (409, "conflict"), (411, "length_required"), (413, "too_large"), (414, "uri_too_long"),
    (415, "unsupported_media_type"), (422, "refused"), (429, "too_many_requests"), (431, "headers_too_large"),
    (500, "internal"), (501, "not_implemented"), (502, "bad_gateway"), (503, "unavailable"),
    (504, "gateway_timeout"),
])
def test_every_status_either_side_names_has_one_code(status, code):
    assert code_for(status) == code


def test_a_status_nobody_names_is_a_plain_error():
    assert code_for(408) == code_for(418) == "error"


def test_codes_are_distinct_and_only_for_errors():
    assert len(set(ERROR_CODES.values())) == len(ERROR_CODES)
    assert all(400 <= status < 600 for status in ERROR_CODES)
    assert {protocol.IN_PROGRESS, protocol.TOO_MANY_ATTEMPTS}.isdisjoint(ERROR_CODES.values())


# --- the file-name header ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "sent"), [
    ("scan.pdf", "UTF-8''scan.pdf"),
    ("Акт осмотра №3.pdf", "UTF-8''%D0%90%D0%BA%D1%82%20%D0%BE%D1%81%D0%BC%D0%BE%D1%82%D1%80%D0%B0%20%E2%84%963.pdf"),
    ("100% O'Brien (1).jpg", "UTF-8''100%25%20O%27Brien%20%281%29.jpg"),
    ("a;b=c\".txt", "UTF-8''a%3Bb%3Dc%22.txt"),
])
def test_a_name_is_sent_percent_encoded_utf8_and_read_back(name, sent):
    assert encode_file_name(name) == sent
    sent.encode("ascii")  # fits any header, latin-1 or not
    assert decode_file_name(sent) == name


def test_a_plain_ascii_name_as_curl_users_type_it_is_read():
    assert decode_file_name("scan-2026.pdf") == "scan-2026.pdf"
    assert decode_file_name("  report.csv ") == "report.csv"
    assert decode_file_name("utf-8''%D0%90.pdf") == "А.pdf"  # the charset in any case


def test_decomposed_letters_arrive_composed():
    assert decode_file_name(encode_file_name("и\u0306.txt")) == "й.txt"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b.pdf", "..\\x.pdf", "a\x00b", "tab\there", "\u202etxt.exe",
                                  "x" * (MAX_FILE_NAME + 1), "я" * 128])
def test_what_is_no_file_name_is_refused_both_ways(name):
    with pytest.raises(ValueError):
        encode_file_name(name)
    with pytest.raises(ValueError):
        decode_file_name("UTF-8''" + "".join(f"%{b:02X}" for b in name.encode("utf-8", "surrogatepass")))


@pytest.mark.parametrize("value", ["UTF-8''%D0", "UTF-8''%ZZ.pdf", "UTF-8''a b.pdf", "ISO-8859-1''%E9.txt",
                                   "UTF-8''%2F%2E%2E", "Акт.pdf", "caf\xe9.txt", ""])
def test_a_header_that_does_not_decode_to_a_name_is_refused(value):
    with pytest.raises(ValueError):
        decode_file_name(value)


@PROPS
@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=80))
@example("файл.pdf")
def test_every_name_that_encodes_decodes_to_itself(name):
    try:
        sent = encode_file_name(name)
    except ValueError:
        return
    assert sent.isascii() and sent.isprintable()
    assert decode_file_name(sent) == unicodedata.normalize("NFC", name)


# --- the portal's URL -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "url", "key", "shown"), [
    ("https://portal.example.ru", "https://portal.example.ru", "https://portal.example.ru:443", "portal.example.ru"),
    ("HTTPS://Portal.Example.RU:443/", "https://portal.example.ru", "https://portal.example.ru:443",
     "portal.example.ru"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080"),
    ("http://localhost:80", "http://localhost", "http://localhost:80", "localhost"),
    ("https://portal.example.ru:80", "https://portal.example.ru:80", "https://portal.example.ru:80",
     "portal.example.ru:80"),
    ("http://Host.example/gkh/", "http://host.example/gkh", "http://host.example:80/gkh", "host.example"),
    ("https://portal.example.ru/api/v1/", "https://portal.example.ru", "https://portal.example.ru:443",
     "portal.example.ru"),
    ("https://portal.example.ru/gkh/api/v1", "https://portal.example.ru/gkh", "https://portal.example.ru:443/gkh",
     "portal.example.ru"),
    ("http://[::1]:9000/", "http://[::1]:9000", "http://[::1]:9000", "[::1]:9000"),
    ("http://портал.рф:8080/gkh", "http://портал.рф:8080/gkh", "http://портал.рф:8080/gkh", "портал.рф:8080"),
    ("http://gkh_portal.internal.", "http://gkh_portal.internal.", "http://gkh_portal.internal.:80",
     "gkh_portal.internal."),
])
def test_one_rule_gives_the_url_to_call_the_key_for_credentials_and_the_name_in_messages(text, url, key, shown):
    portal = parse_portal_url(text)
    assert (portal.url, portal.key, portal.shown) == (url, key, shown)
    assert portal.dropped == ()
    assert parse_portal_url(portal.url) == portal  # the canonical form is a fixed point


def test_the_same_portal_spelt_differently_is_one_portal():
    spellings = ["https://PORTAL.example.ru/", "https://portal.example.ru:443", "https://portal.example.ru/api/v1"]
    assert len({parse_portal_url(s) for s in spellings}) == 1
    assert parse_portal_url("http://portal.example.ru").key != parse_portal_url("https://portal.example.ru").key


@pytest.mark.parametrize(("text", "dropped"), [
    ("https://ivan:s3cret@portal.example.ru", ("credentials",)),
    ("https://portal.example.ru/?a=1", ("query",)),
    ("https://portal.example.ru/#top", ("query",)),
    ("https://portal.example.ru?", ("query",)),
    ("https://u@portal.example.ru/x?y#z", ("credentials", "query")),
])
def test_what_is_not_part_of_a_portal_url_is_left_out_and_said(text, dropped):
    portal = parse_portal_url(text)
    assert portal.dropped == dropped
    assert "s3cret" not in portal.url + portal.key and "?" not in portal.url and "#" not in portal.url


@pytest.mark.parametrize(("text", "problem"), [
    ("https://portal.example.ru/" + "p" * 2048, protocol.URL_TOO_LONG),
    ("", protocol.URL_NOT_TEXT),
    ("http://a b", protocol.URL_NOT_TEXT),
    ("http://a\x01b", protocol.URL_NOT_TEXT),
    ("http://\u202eur.ltrop", protocol.URL_NOT_TEXT),
    ("http://\udcff", protocol.URL_NOT_TEXT),
    ("http://[::1", protocol.URL_BAD_PORT),
    ("http://a:99999", protocol.URL_BAD_PORT),
    ("http://[zz]", protocol.URL_BAD_PORT),
    ("ftp://portal.example.ru", protocol.URL_NOT_HTTP),
    ("local://", protocol.URL_NOT_HTTP),
    ("portal.example.ru", protocol.URL_NOT_HTTP),
    ("http://", protocol.URL_NOT_HTTP),
    ("http://%00", protocol.URL_BAD_HOST),
    ("http://a..b", protocol.URL_BAD_HOST),
    ("http://" + "a" * 64 + ".ru", protocol.URL_BAD_HOST),
])
def test_a_text_that_is_no_portal_url_says_why(text, problem):
    with pytest.raises(PortalUrlError) as caught:
        parse_portal_url(text)
    assert caught.value.problem == problem
    assert isinstance(caught.value, ValueError)


def test_a_portal_url_is_a_value():
    assert PortalUrl("https", "portal.example.ru", 443, "").url == "https://portal.example.ru"


# --- the room ---------------------------------------------------------------------------------------


def test_the_contract_imports_nothing_heavy_and_nothing_of_gkh_but_the_domain():
    code = "import sys, gkh.protocol\nprint('\\n'.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split())
    assert not {m for m in loaded if m.split(".")[0] in ("requests", "urllib3", "falcon", "typer", "waitress")}
    assert {m for m in loaded if m.startswith("gkh.")} <= {"gkh.protocol"} | {m for m in loaded
                                                                                if m.startswith("gkh.domain")}
