"""schemathesis against the app's own OpenAPI document: no 5xx, every response conforms to the schema
(status codes, content type, body). Bounded: a fixed number of examples per operation, no shrinking
database, so the whole module runs in well under a minute."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402

from paramscope.web import create_app  # noqa: E402

app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
# plan searches every priced GPU per example (about a second each): fewer examples there
SLOW = {"/api/plan": 4, "/api/compare": 8, "/api/scale": 15}


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    limit = SLOW.get(case.path)
    if limit is not None:
        counts = _seen.setdefault(case.path, [0])
        counts[0] += 1
        if counts[0] > limit:
            return
    response = case.call()
    assert response.status_code < 500, response.text
    # a schema-valid string is not a catalog id: refusing it with a documented 400 is right, so the
    # "positive data is accepted" check does not apply; every other check does
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


_seen: dict[str, list[int]] = {}
