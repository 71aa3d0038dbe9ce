"""schemathesis against `/openapi.json` of a real server: generated requests (valid and
invalid) never get a 5xx, and every answer matches the schema (status, body, content type)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.serve.conftest import live_server


@pytest.fixture(scope="module")
def api_schema(digits_run, attention_run):
    with live_server([digits_run, attention_run], max_inputs=4) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")
EXAMPLES = int(os.environ.get("SHENDU_SCHEMATHESIS_EXAMPLES", "30"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_answer_matches_the_schema(case):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
