"""docs/openapi.yaml and the portal's Falcon app agree: the same routes, and a spec that hangs together."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gkh
from gkh.domain import identifiers
from gkh.domain.errors import InvalidInput
from tests.helpers.api import TEMPLATE_PARAM, app_routes

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def spec() -> dict:
    with SPEC_PATH.open(encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    assert isinstance(loaded, dict), "docs/openapi.yaml is not a YAML mapping"
    return loaded


def spec_operations(spec: dict):
    """(METHOD, path, path item, operation) for every operation in the spec."""
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item, item[method]


def resolve(spec: dict, ref: str):
    assert ref.startswith("#/"), f"only local $refs are used here: {ref}"
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise KeyError(ref)
        node = node[part]
    return node


def deref(spec: dict, node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(spec, node["$ref"])
    return node


def all_refs(node, where="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from all_refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from all_refs(value, f"{where}/{i}")


def test_the_spec_and_the_app_have_the_same_routes(portal, spec):
    in_app = set(app_routes(portal.app))
    in_spec = {(method, path) for method, path, _, _ in spec_operations(spec)}
    missing = sorted(in_app - in_spec)
    extra = sorted(in_spec - in_app)
    message = []
    if missing:
        message.append("routes of the app missing from docs/openapi.yaml:\n  "
                       + "\n  ".join(f"{m} {p}" for m, p in missing))
    if extra:
        message.append("operations in docs/openapi.yaml that the app does not have:\n  "
                       + "\n  ".join(f"{m} {p}" for m, p in extra))
    assert not message, "\n".join(message)


def test_the_spec_is_openapi_3_1_of_this_version(spec):
    assert str(spec["openapi"]).startswith("3.1")
    assert spec["info"]["title"]
    assert spec["info"]["version"] == gkh.__version__
    assert spec["servers"][0]["url"] == "http://127.0.0.1:8080"
    bearer = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearerAuth": []}]


def test_every_operation_has_a_unique_id_a_summary_and_a_success_response(spec):
    seen: dict[str, str] = {}
    problems = []
    for method, path, _, op in spec_operations(spec):
        name = f"{method} {path}"
        op_id = op.get("operationId")
        if not op_id:
            problems.append(f"{name}: no operationId")
        elif op_id in seen:
            problems.append(f"{name}: operationId {op_id!r} is also {seen[op_id]}")
        else:
            seen[op_id] = name
        if not op.get("summary"):
            problems.append(f"{name}: no summary")
        statuses = [str(s) for s in op.get("responses", {})]
        if not any(s.startswith("2") and len(s) == 3 for s in statuses):
            problems.append(f"{name}: no 2xx response (has {statuses})")
        for status in statuses:
            if not re.fullmatch(r"[1-5][0-9][0-9]", status):
                problems.append(f"{name}: response {status!r} is not a status code")
    assert not problems, "\n".join(problems)


def test_every_ref_resolves(spec):
    broken = []
    for where, ref in all_refs(spec):
        try:
            resolve(spec, ref)
        except (KeyError, AssertionError):
            broken.append(f"{where}: {ref}")
    assert not broken, "unresolved $refs:\n" + "\n".join(broken)


def test_every_path_parameter_is_declared_and_required(spec):
    problems = []
    for method, path, item, op in spec_operations(spec):
        in_template = set(TEMPLATE_PARAM.findall(path))
        params = [deref(spec, p) for p in item.get("parameters", []) + op.get("parameters", [])]
        declared = {p["name"] for p in params if p.get("in") == "path"}
        name = f"{method} {path}"
        if in_template - declared:
            problems.append(f"{name}: path parameters not declared: {sorted(in_template - declared)}")
        if declared - in_template:
            problems.append(f"{name}: path parameters declared but not in the path: {sorted(declared - in_template)}")
        for p in params:
            if p.get("in") == "path" and p.get("required") is not True:
                problems.append(f"{name}: path parameter {p['name']!r} must be required: true")
    assert not problems, "\n".join(problems)


def test_only_public_resources_are_public_in_the_spec(portal, spec):
    """`security: []` in the spec only where the app lets an anonymous caller in."""
    routes = app_routes(portal.app)
    public = {(method, path) for method, path, _, op in spec_operations(spec) if op.get("security") == []}
    assert public == {("GET", "/api/v1/portal"), ("POST", "/api/v1/auth/token"),
                      ("GET", "/acquirer/{token}"), ("POST", "/acquirer/{token}")}
    for key in public:
        assert getattr(routes[key], "public", False), f"{key} is public in the spec but not in the app"
    for (method, path), resource in routes.items():
        if not getattr(resource, "public", False):
            assert (method, path) not in public


# The spec's input patterns come from gkh/domain: whatever a pattern allows, the domain's parser accepts, and
# the spellings people type (any case, Latin look-alikes, stray spaces) match the pattern.
INPUT_PATTERNS = [  # (schema, parser, typed spellings it accepts, text it refuses)
    ("ElsInput", "normalize_els", [" 77еж532838 ", "77EX532838", "77ЕЖ532838"],
     ["77ЕЖ53283", "77ЖЖ5328381", "٧٧ЕЖ532838"]),
    ("FiasGuidInput", "normalize_fias_guid",
     [" 83804AC7-87c6-472e-a474-d02c6f740e9c", "83804ac787c6472ea474d02c6f740e9c"],
     ["{83804ac7-87c6-472e-a474-d02c6f740e9c}", "83804ac7-87c6-472e-a474-d02c6f740e9"]),
    ("LinkRequest/properties/izhku", "normalize_izhku", ["77да488933-01", "77ДА488933-01 "],
     ["77ДА488933", "77ДА488933-1"]),
    ("IpdInput", "normalize_ipd", ["77ЕЖ532838-01-2610", " 77еж532838012610", "77EX532838\u201301\u20132610"],
     ["77ЕЖ532838-01-261", "77ЕЖ532838-012610", "77ЕЖ532838 01 2610"]),
]


@pytest.mark.parametrize(("where", "parser", "accepted", "refused"), INPUT_PATTERNS,
                         ids=[row[0] for row in INPUT_PATTERNS])
def test_the_spec_input_patterns_agree_with_the_domain(spec, where, parser, accepted, refused):
    pattern = resolve(spec, f"#/components/schemas/{where}")["pattern"]
    parse = getattr(identifiers, parser)
    for text in accepted:
        assert re.search(pattern, text), text
        parse(text)
    for text in refused:
        assert not re.search(pattern, text), text
        with pytest.raises(InvalidInput):
            parse(text)

    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.from_regex(pattern))
    def every_match_parses(text):
        parse(text)

    every_match_parses()


@pytest.mark.parametrize("text", ["true", "FALSE", "tRuE", "Yes", "NO", "1", "0", "", "2", "truE ", "да", "ｔｒｕｅ",
                                  "\u0130", "yes\n", "nope"])
def test_a_yes_no_parameter_is_read_as_the_spec_s_pattern_says(spec, text):
    """`dry_run` and `unpaid` are any case of true/false, 1/0, yes/no: what the pattern allows the portal reads, and
    what it refuses the portal answers 400 (the fuzzer sends such values and expects a refusal)."""
    import falcon
    import falcon.testing

    from gkh.server.http import ApiError, flag

    pattern = resolve(spec, "#/components/parameters/DryRun")["schema"]["pattern"]
    unpaid = next(p for p in spec["paths"]["/api/v1/bills"]["get"]["parameters"] if p.get("name") == "unpaid")
    assert unpaid["schema"]["pattern"] == pattern
    req = falcon.testing.create_req(query_string=f"dry_run={falcon.uri.encode_value(text)}")
    if re.fullmatch(pattern, text):
        assert flag(req, "dry_run") is (text.lower() in ("true", "1", "yes"))
    else:
        with pytest.raises(ApiError):
            flag(req, "dry_run")
