import json
import uuid
from pathlib import Path

import jsonschema

from tradeloop_contracts import (
    EVENT_CATALOGUE,
    ImportRequested,
    build_schemas,
    make_event,
    write_schemas,
)
from tradeloop_contracts._cli import main


class TestArtifact:
    def test_one_schema_per_event_type_and_an_index(self) -> None:
        files = build_schemas()
        for name in EVENT_CATALOGUE:
            assert f"events/{name}.json" in files
        listed = {entry["file"] for entry in files["index.json"]["schemas"]}
        assert listed == set(files) - {"index.json"}

    def test_every_schema_is_valid_2020_12_with_a_unique_id(self) -> None:
        files = build_schemas()
        ids = [s["$id"] for name, s in files.items() if name != "index.json"]
        assert len(ids) == len(set(ids))
        for name, schema in files.items():
            if name != "index.json":
                jsonschema.Draft202012Validator.check_schema(schema)

    def test_an_emitted_event_validates_against_its_schema(self) -> None:
        data = ImportRequested(
            user_id=uuid.uuid4(),
            import_id=uuid.uuid4(),
            account_id=uuid.uuid4(),
            object_key="k",
            filename="f.csv",
            format="auto",
            mode="valid_only",
        )
        event = make_event("import.requested.v1", data, source="/core-api")
        schema = build_schemas()["events/import.requested.v1.json"]
        jsonschema.validate(json.loads(event.model_dump_json()), schema)

    def test_writing_is_deterministic_and_removes_stale_files(self, tmp_path: Path) -> None:
        stale = tmp_path / "events" / "gone.v1.json"
        stale.parent.mkdir()
        stale.write_text("{}")
        assert main(["schemas", str(tmp_path)]) == 0
        first = {p: p.read_bytes() for p in tmp_path.rglob("*.json")}
        assert not stale.exists()
        write_schemas(tmp_path)
        assert {p: p.read_bytes() for p in tmp_path.rglob("*.json")} == first
