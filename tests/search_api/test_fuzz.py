"""Every endpoint fuzzed from its own OpenAPI schema (schemathesis + Hypothesis): no 5xx, responses as documented."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e .[dev])")
from hypothesis import HealthCheck, given, settings  # noqa: E402 - schemathesis brings Hypothesis

EXAMPLES = 30  # per operation


@pytest.fixture(scope="module")
def api_schema(processed, tmp_path_factory):
    """The app over a copy of the processed data: the fuzzed writes (watches) stay there."""
    import shutil

    from search_api.app import create_app
    from search_api.deps import Resources

    data = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(processed[0].data_dir, data)
    data_settings = processed[0].model_copy(update={"data_dir": data, "sources": data / "sources.toml"})
    app = create_app(data_settings)
    resources = Resources.open(data_settings)  # what the lifespan does, for the ASGI transport
    app.state.resources = resources
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    resources.close()


def test_no_server_error_and_responses_match_the_schema(api_schema):
    """Each operation with Hypothesis-generated parameters (the pytest plugin's fixture loader does not run
    under this pytest version, so operations are driven through their strategies directly)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/search", "/documents/{doc_id}", "/entities", "/entities/{name}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case):
            case.call_and_validate()

        call()
