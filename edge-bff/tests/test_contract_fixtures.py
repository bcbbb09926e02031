"""The events the tests push through the sockets are real ones: they validate against their
contracts schemas, as core would publish them."""

from __future__ import annotations

import json
import uuid

import jsonschema
import pytest
from tradeloop_contracts import Event, UserEventData, build_schemas, make_event

from .test_real_bus import position_closed
from .test_sockets import _import_failed

SCHEMAS = build_schemas()


def _wire(event: Event[UserEventData]) -> dict[str, object]:
    wire: dict[str, object] = json.loads(event.model_dump_json())
    return wire


class TestFixtures:
    def test_the_import_failed_fixture_validates(self) -> None:
        event = make_event(
            "import.failed.v1", _import_failed(str(uuid.uuid4())), source="/core-api"
        )
        jsonschema.validate(_wire(event), SCHEMAS["events/import.failed.v1.json"])

    def test_the_position_closed_fixture_validates(self) -> None:
        event = position_closed(str(uuid.uuid4()))
        jsonschema.validate(_wire(event), SCHEMAS["events/position.closed.v1.json"])

    def test_a_fixture_that_breaks_the_schema_is_caught(self) -> None:
        wire = _wire(position_closed(str(uuid.uuid4())))
        wire["data"] = {**wire["data"], "realised_pnl_net": 12.5}  # type: ignore[dict-item]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wire, SCHEMAS["events/position.closed.v1.json"])
