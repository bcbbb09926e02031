import json
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from tradeloop_contracts import (
    EVENT_CATALOGUE,
    ImportCompleted,
    ImportCounts,
    ImportRequested,
    UnknownEventTypeError,
    make_event,
    parse_event,
)

USER = uuid.uuid4()
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _requested() -> ImportRequested:
    return ImportRequested(
        user_id=USER,
        import_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        object_key="imports/a.csv",
        filename="a.csv",
        format="generic_csv",
        mode="valid_only",
    )


class TestEnvelope:
    def test_round_trip_keeps_the_typed_data(self) -> None:
        event = make_event("import.requested.v1", _requested(), source="/core-api")
        wire = event.model_dump_json()
        again = parse_event(wire)
        assert isinstance(again.data, ImportRequested)
        assert again.data == event.data
        assert json.loads(wire)["data"]["object_key"] == "imports/a.csv"

    def test_subject_and_schema_name_the_user_and_type(self) -> None:
        event = make_event(
            "import.requested.v1", _requested(), source="/core-api", traceparent=TRACEPARENT
        )
        assert event.subject == f"users/{USER}"
        assert event.dataschema.endswith("/events/import.requested.v1.json")
        assert event.traceparent == TRACEPARENT

    def test_data_of_another_type_is_refused(self) -> None:
        with pytest.raises(ValueError, match="carries ImportCompleted"):
            make_event("import.completed.v1", _requested(), source="/core-api")

    def test_unknown_types_are_refused_on_both_sides(self) -> None:
        with pytest.raises(UnknownEventTypeError):
            make_event("import.exploded.v1", _requested(), source="/core-api")
        event = make_event("import.requested.v1", _requested(), source="/core-api")
        raw = json.loads(event.model_dump_json()) | {"type": "import.exploded.v1"}
        with pytest.raises(UnknownEventTypeError):
            parse_event(raw)

    def test_malformed_data_is_refused(self) -> None:
        event = make_event(
            "import.completed.v1",
            ImportCompleted(user_id=USER, import_id=uuid.uuid4(), counts=ImportCounts(new=1)),
            source="/core-api",
        )
        raw = json.loads(event.model_dump_json())
        del raw["data"]["import_id"]
        with pytest.raises(ValidationError):
            parse_event(raw)

    def test_a_bad_traceparent_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            make_event("import.requested.v1", _requested(), source="/x", traceparent="nope")


class TestCatalogue:
    def test_every_type_is_versioned_and_streams_by_family(self) -> None:
        for name, spec in EVENT_CATALOGUE.items():
            assert name.rsplit(".", 1)[1].startswith("v")
            assert spec.family == name.split(".")[0]


class TestReadme:
    def test_the_event_table_lists_exactly_the_catalogue(self) -> None:
        readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
        rows = set()
        for line in readme.splitlines():
            cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
            if len(cells) == 5 and cells[0] != "type" and cells[4].startswith("events/"):
                rows.add((f"{cells[0]}.{cells[1]}", cells[2], cells[3], cells[4]))
        expected = {
            (spec.type, spec.producer, ", ".join(spec.consumers), f"events/{spec.type}.json")
            for spec in EVENT_CATALOGUE.values()
        }
        assert rows == expected
