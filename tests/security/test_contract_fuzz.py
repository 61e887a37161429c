"""Contract fuzzing: schemathesis drives every operation of docs/openapi.yaml through the portal's WSGI app
in-process, signed in as the demo resident (ivanov) and as managing-organisation staff (uk-staff), with input
the spec calls valid and input it calls invalid (schemathesis's examples, boundary and fuzzing phases), on each
engine (the `portal` fixture): SQLite with EXAMPLES_PER_OPERATION generated cases per operation and role, then
PostgreSQL with fewer (EXAMPLES_ON_POSTGRES: generating the cases costs the same there, and what PostgreSQL
alone refuses — NUL, huge numbers, long text — sits in the boundary cases both halves get).

No answer may be a 5xx; every answer must be one the spec documents (status, content type, headers, body
schema); input the spec calls invalid must not be accepted. Bounded and derandomized, so CI runs the same
cases every time. The figures per engine (cases, answers by status, failures) are printed when the module ends.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import falcon.testing
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers.demo import password_of

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
ROLES = ("ivanov", "uk-staff")
EXAMPLES_PER_OPERATION = 150  # per role, beside the spec's own examples and schemathesis's boundary cases
EXAMPLES_ON_POSTGRES = 50  # the same, for the PostgreSQL half
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]

schema = schemathesis.openapi.from_path(SPEC)
# Every case is signed in by the test; unknown query parameters are ignored by design, not refused.
schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)


def sign_in(app, login: str) -> dict[str, str]:
    resp = falcon.testing.TestClient(app).simulate_post(
        "/api/v1/auth/token", json={"login": login, "password": password_of(login)})
    assert resp.status_code == 201, resp.text
    return {"Authorization": f"Bearer {resp.json['token']}"}


@pytest.fixture(scope="module")
def tallies(request):
    """Cases and answers of the whole module per engine, written to the terminal at its end."""
    counts: dict[str, Counter] = {}
    yield counts
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            for engine, tally in counts.items():
                figures = ", ".join(f"{key} {n}" for key, n in sorted(tally.items()))
                reporter.write_line(f"\ncontract fuzzing on {engine}, {len(ROLES)} roles: {figures}")


@pytest.fixture
def examples(request, engine):
    """The PostgreSQL half generates fewer cases: the test's settings (one function per operation, shared by its
    roles and engines) are swapped for this test and put back after it."""
    test = request.function
    if engine != "postgres":
        yield
        return
    saved = test._hypothesis_internal_use_settings  # where @settings puts them and hypothesis reads them per call
    test._hypothesis_internal_use_settings = settings(saved, max_examples=EXAMPLES_ON_POSTGRES)
    yield
    test._hypothesis_internal_use_settings = saved


@pytest.fixture(params=ROLES)
def signed_in(request, portal, engine, tallies, examples):
    """A fresh demo portal's app on the test's engine, signed in through POST /auth/token as one role."""
    return portal.app, request.param, sign_in(portal.app, request.param), tallies.setdefault(engine, Counter())


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_every_answer_is_one_the_spec_documents(case, signed_in):
    app, role, auth, tally = signed_in
    if (case.method, case.path) == ("DELETE", "/api/v1/auth/token"):
        auth = sign_in(app, role)  # signing out revokes the token: each such case gets one of its own
    tally["cases"] += 1
    try:
        response = case.call(app=app, headers=auth)
        tally[f"status {response.status_code}"] += 1
        case.validate_response(response, checks=CHECKS, headers=auth, transport_kwargs={"app": app})
    except Exception:
        tally["failures"] += 1
        raise
