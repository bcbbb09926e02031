"""The events the tests feed the worker are real ones: they validate against their schemas."""

import json

import jsonschema
import pytest
from tradeloop_contracts import build_schemas

from tests.factories import event_of, import_requested

SCHEMAS = build_schemas()


class TestFixtures:
    @pytest.mark.parametrize("file_format", ["auto", "generic_csv", "ibkr_flex_xml", "ofx"])
    def test_import_requested_fixtures_validate_against_their_schema(
        self, file_format: str
    ) -> None:
        event = event_of(import_requested(file_format=file_format))  # type: ignore[arg-type]
        jsonschema.validate(
            json.loads(event.model_dump_json()), SCHEMAS["events/import.requested.v1.json"]
        )

    def test_a_fixture_that_breaks_the_schema_is_caught(self) -> None:
        wire = json.loads(event_of(import_requested()).model_dump_json())
        del wire["data"]["object_key"]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wire, SCHEMAS["events/import.requested.v1.json"])
