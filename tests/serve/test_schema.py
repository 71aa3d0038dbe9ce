"""schemathesis against `/openapi.json` of a real server: generated requests (valid and
invalid) never get a 5xx, and every answer matches the schema (status, body, content type).

The cases come from each operation's hypothesis strategy (schemathesis' pytest plugin does not
load under this pytest); ``SHENDU_SCHEMATHESIS_EXAMPLES`` sets how many per operation
(`make test-slow` runs many more)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.serve.conftest import live_server

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(xor_run, attention_run, mnist_run):
    with live_server([xor_run, attention_run, mnist_run], max_inputs=4) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


def fuzz(api_schema, examples: int) -> list[str]:
    tried = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(checks=CHECKS)

        check()
        tried.append(f"{operation.method.upper()} {operation.path}")
    return tried


def test_no_5xx_and_every_answer_matches_the_schema(api_schema):
    tried = fuzz(api_schema, int(os.environ.get("SHENDU_SCHEMATHESIS_EXAMPLES", "25")))
    assert {"POST /v1/models/{name}/predict", "POST /predict", "GET /v1/models", "GET /ready", "GET /health"} <= set(tried)


@pytest.mark.slow
def test_no_5xx_under_a_long_fuzz(api_schema):
    fuzz(api_schema, 500)
