"""Validation behaviour of the shapes services exchange beyond the 1.0.0 set."""

import functools
import json
import re
import tarfile
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from tradeloop_contracts import (
    REQUEST_BODIES,
    RESPONSE_BODIES,
    AccountDeletion,
    Adherence,
    Attachment,
    BrokerConnectionSynced,
    BrokerSyncUpdate,
    ChartSpec,
    ChatReply,
    ChatRequest,
    ColumnMapping,
    ContractSpecOverride,
    CsvPreview,
    CustomRuleCheck,
    FieldGuess,
    ImportJob,
    MetricsBody,
    PlanPreview,
    Position,
    PositionDetail,
    Problem,
    SealedBrokerCredentials,
    Statistics,
    UserDeleted,
    WeeklyReview,
    WeeklyReviewCreate,
    build_schemas,
    make_event,
    parse_event,
)

CONTRACTS = Path(__file__).resolve().parent.parent
SHAPES_DOC = CONTRACTS / "docs" / "shapes.md"
RELEASES = CONTRACTS / "releases"
EXAMPLE = re.compile(
    r"^### `(?P<file>[a-z]+/[\w.]+\.json)`\n\n```json\n(?P<body>.*?)\n```", re.M | re.S
)
USER = uuid.uuid4()


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    return build_schemas()


def _examples() -> dict[str, Any]:
    return {m["file"]: json.loads(m["body"]) for m in EXAMPLE.finditer(SHAPES_DOC.read_text())}


def _model(file: str) -> type[BaseModel]:
    kind, name = file.removesuffix(".json").split("/")
    models = REQUEST_BODIES if kind == "requests" else RESPONSE_BODIES
    return next(model for model in models if model.__name__ == name)


def _example(file: str) -> dict[str, Any]:
    example: dict[str, Any] = _examples()[file]
    return example


def _mapping(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "columns": {"datetime": "Time", "symbol": "Ticker", "quantity": "Qty", "price": "Px"}
    }
    body.update(overrides)
    return body


class TestDocumentedExamples:
    def test_every_schema_added_since_1_1_has_an_example(self) -> None:
        with tarfile.open(RELEASES / "tradeloop-contracts-schemas-1.1.0.tar.gz") as released:
            before = {m.name.removeprefix("./") for m in released.getmembers() if m.isfile()}
        added = set(_schemas()) - before
        assert added
        assert sorted(added - set(_examples())) == []

    @pytest.mark.parametrize("file", sorted(_examples()))
    def test_each_example_is_valid_for_its_schema_and_model(self, file: str) -> None:
        example = _examples()[file]
        jsonschema.validate(example, _schemas()[file])
        if file.startswith("events/"):
            assert parse_event(example).type == example["type"]
        else:
            parsed = _model(file).model_validate(example)
            # What a model writes validates against the schema again.
            jsonschema.validate(json.loads(parsed.model_dump_json()), _schemas()[file])

    @pytest.mark.parametrize("file", sorted(f for f in _examples() if f.startswith("requests/")))
    def test_requests_refuse_an_unknown_field(self, file: str) -> None:
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            _model(file).model_validate(_example(file) | {"colour": "red"})
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(_example(file) | {"colour": "red"}, _schemas()[file])

    @pytest.mark.parametrize(
        "file",
        sorted(
            f
            for f in _examples()
            if f.startswith("responses/") and not issubclass(_model(f), Problem)
        ),
    )
    def test_responses_ignore_an_unknown_field(self, file: str) -> None:
        parsed = _model(file).model_validate(_example(file) | {"added_later": 1})
        assert "added_later" not in parsed.model_dump()

    def test_problems_keep_extension_members(self) -> None:
        example = _example("responses/CustomRuleCheck.json") | {"trace_id": "abc"}
        assert CustomRuleCheck.model_validate(example).model_dump()["trace_id"] == "abc"


class TestOlderProducersStayValid:
    def test_a_1_0_weekly_review_has_no_report(self) -> None:
        review = WeeklyReview.model_validate(
            {
                "id": str(uuid.uuid4()),
                "week_start": "2026-11-16",
                "summary": "s",
                "focus": "f",
                "metrics": {},
                "created_at": "2026-11-23T00:00:00Z",
            }
        )
        assert review.report is None

    def test_statistics_without_r_expectancy(self) -> None:
        stats = Statistics.model_validate(
            {
                "currency": "USD",
                "trades": 0,
                "wins": 0,
                "losses": 0,
                "breakevens": 0,
                "net_pnl": "0",
                "gross_pnl": "0",
                "fees": "0",
                "max_drawdown": "0",
                "equity_curve": [],
                "calendar": [],
            }
        )
        assert stats.expectancy_r is None

    def test_positions_without_prices_of_excursions_or_stops(self) -> None:
        position: dict[str, object] = {
            "id": str(uuid.uuid4()),
            "account_id": str(uuid.uuid4()),
            "instrument": {"asset_class": "stock", "symbol": "AAPL"},
            "direction": "long",
            "status": "open",
            "opened_at": "2026-03-02T14:30:00Z",
            "open_quantity": "100",
            "max_quantity": "100",
            "avg_entry_price": "187.25",
            "realised_pnl_gross": "0",
            "fees": "1",
            "realised_pnl_net": "-1",
            "currency": "USD",
            "execution_count": 1,
        }
        assert Position.model_validate(position).mae_price is None
        assert PositionDetail.model_validate(position | {"executions": []}).stops == []

    def test_an_import_without_a_mapping(self) -> None:
        job = ImportJob.model_validate(
            {
                "id": str(uuid.uuid4()),
                "account_id": str(uuid.uuid4()),
                "filename": "a.csv",
                "format": "auto",
                "mode": "valid_only",
                "status": "queued",
                "size_bytes": 10,
                "counts": {},
                "created_at": "2026-11-25T00:00:00Z",
            }
        )
        assert job.mapping is None


class TestBrokerSync:
    def test_a_status_detail_is_a_code_not_free_text(self) -> None:
        BrokerSyncUpdate(status="broken", status_detail="token_revoked")
        with pytest.raises(ValidationError, match="status_detail"):
            BrokerSyncUpdate(status="broken", status_detail="401 for key PKABC123: bad secret")

    def test_an_unknown_status_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="status"):
            BrokerSyncUpdate.model_validate({"status": "sleeping"})

    def test_refreshed_tokens_do_not_print(self) -> None:
        update = BrokerSyncUpdate(status="active", access_token="at-s3cret", refresh_token="rt")
        assert "at-s3cret" not in repr(update)
        assert "at-s3cret" not in update.model_dump_json()
        assert update.access_token is not None
        assert update.access_token.get_secret_value() == "at-s3cret"

    def test_sealed_blobs_are_base64url(self) -> None:
        example = _example("responses/SealedBrokerCredentials.json")
        SealedBrokerCredentials.model_validate(example)
        for blob in ("a+b/c", "", "plain text"):
            with pytest.raises(ValidationError, match="secrets"):
                SealedBrokerCredentials.model_validate(example | {"secrets": {"api_secret": blob}})

    def test_synced_event_counts_are_not_negative(self) -> None:
        with pytest.raises(ValidationError, match="executions"):
            BrokerConnectionSynced(
                user_id=USER,
                connection_id=uuid.uuid4(),
                status="active",
                executions=-1,
                synced_at="2026-11-25T00:00:00Z",
            )


class TestUserDeleted:
    def test_round_trips_through_the_envelope(self) -> None:
        data = UserDeleted(user_id=USER, deleted_at="2026-11-25T20:00:00Z")
        event = make_event("user.deleted.v1", data, source="/core-api")
        again = parse_event(event.model_dump_json())
        assert isinstance(again.data, UserDeleted)
        assert again.subject == f"users/{USER}"
        jsonschema.validate(
            json.loads(event.model_dump_json()), _schemas()["events/user.deleted.v1.json"]
        )

    def test_needs_the_time_of_deletion(self) -> None:
        with pytest.raises(ValidationError, match="deleted_at"):
            UserDeleted.model_validate({"user_id": str(USER)})


class TestAttachments:
    def test_owner_kind_and_sizes_are_checked(self) -> None:
        item = _example("responses/AttachmentList.json")["items"][0]
        with pytest.raises(ValidationError, match="owner_kind"):
            Attachment.model_validate(item | {"owner_kind": "account"})
        with pytest.raises(ValidationError, match="size_bytes"):
            Attachment.model_validate(item | {"size_bytes": -1})
        with pytest.raises(ValidationError, match="width"):
            Attachment.model_validate(item | {"width": 0})

    def test_width_and_height_are_optional_for_other_files(self) -> None:
        item = _example("responses/AttachmentList.json")["items"][0]
        del item["width"], item["height"]
        pdf = Attachment.model_validate(item | {"content_type": "application/pdf"})
        assert pdf.width is None


class TestPlans:
    def test_preview_counts_are_not_negative(self) -> None:
        example = _example("responses/PlanPreview.json")
        with pytest.raises(ValidationError, match="positions_flagged"):
            PlanPreview.model_validate(example | {"positions_flagged": -1})

    def test_adherence_needs_its_streaks(self) -> None:
        example = _example("responses/Adherence.json")
        del example["longest_streak_days"]
        with pytest.raises(ValidationError, match="longest_streak_days"):
            Adherence.model_validate(example)

    def test_a_custom_rule_error_is_a_problem_pointing_at_a_column(self) -> None:
        check = CustomRuleCheck(
            title="The custom rule does not compile",
            status=422,
            expression="position.quantiy <= 100",
            line=1,
            column=10,
        )
        wire = json.loads(check.model_dump_json())
        assert Problem.model_validate(wire).status == 422
        assert (wire["line"], wire["column"]) == (1, 10)

    @pytest.mark.parametrize("field", ["line", "column"])
    def test_line_and_column_count_from_one(self, field: str) -> None:
        example = _example("responses/CustomRuleCheck.json")
        with pytest.raises(ValidationError, match=field):
            CustomRuleCheck.model_validate(example | {field: 0})


class TestColumnMappings:
    def test_a_mapping_needs_a_time_symbol_quantity_and_price(self) -> None:
        with pytest.raises(ValidationError, match="needs columns for datetime or date, price"):
            ColumnMapping.model_validate({"columns": {"symbol": "S", "quantity": "Q"}})

    def test_a_date_column_is_enough_for_the_time(self) -> None:
        columns = {"date": "D", "symbol": "S", "quantity": "Q", "price": "P"}
        assert ColumnMapping.model_validate({"columns": columns}).day_first is False

    def test_a_mapped_column_needs_a_header_name(self) -> None:
        with pytest.raises(ValidationError, match="needs a header name"):
            ColumnMapping.model_validate(_mapping(columns={**_mapping()["columns"], "price": " "}))  # type: ignore[dict-item]

    def test_unknown_target_fields_and_options_are_refused(self) -> None:
        columns = {**_mapping()["columns"], "colour": "C"}  # type: ignore[dict-item]
        with pytest.raises(ValidationError, match="columns.colour"):
            ColumnMapping.model_validate(_mapping(columns=columns))
        with pytest.raises(ValidationError, match="day_frist"):
            ColumnMapping.model_validate(_mapping(day_frist=True))

    def test_a_delimiter_outside_the_known_ones_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="delimiter"):
            ColumnMapping.model_validate(_mapping(delimiter=":"))

    def test_confidence_is_a_fraction(self) -> None:
        assert FieldGuess(field="price", column="Px", confidence="1").confidence == 1
        with pytest.raises(ValidationError, match="confidence"):
            FieldGuess(field="price", column="Px", confidence="1.5")

    def test_a_preview_holds_at_most_fifty_rows(self) -> None:
        example = _example("responses/CsvPreview.json")
        with pytest.raises(ValidationError, match="rows"):
            CsvPreview.model_validate(example | {"rows": [["x"]] * 51})


class TestChat:
    @pytest.mark.parametrize("message", ["", "x" * 4001])
    def test_a_message_is_one_to_4000_characters(self, message: str) -> None:
        with pytest.raises(ValidationError, match="message"):
            ChatRequest(message=message)

    def test_a_conversation_id_is_a_uuid(self) -> None:
        with pytest.raises(ValidationError, match="conversation_id"):
            ChatRequest.model_validate({"message": "hi", "conversation_id": "abc"})

    def test_reply_sizes_are_bounded(self) -> None:
        example = _example("responses/ChatReply.json")
        number = example["numbers"][0]
        with pytest.raises(ValidationError, match="numbers"):
            ChatReply.model_validate(example | {"numbers": [number] * 101})
        with pytest.raises(ValidationError, match="answer"):
            ChatReply.model_validate(example | {"answer": "x" * 20001})

    def test_a_chart_has_a_known_kind_and_a_series(self) -> None:
        with pytest.raises(ValidationError, match="kind"):
            ChartSpec.model_validate({"kind": "pie", "series": [{"name": "a", "points": []}]})
        with pytest.raises(ValidationError, match="series"):
            ChartSpec.model_validate({"kind": "bar", "series": []})

    def test_chart_values_are_decimal_strings(self) -> None:
        with pytest.raises(ValidationError, match="never as floats"):
            ChartSpec.model_validate(
                {"kind": "line", "series": [{"name": "a", "points": [{"x": "1", "y": 1.5}]}]}
            )


class TestCoachBodies:
    def test_metrics_refuse_floats(self) -> None:
        overall = _example("responses/Analytics.json")["items"][0]["overall"]
        with pytest.raises(ValidationError, match="never as floats"):
            MetricsBody.model_validate(overall | {"net_pnl": 150.0})

    def test_a_stored_review_needs_the_computed_report(self) -> None:
        example = _example("requests/WeeklyReviewCreate.json")
        del example["report"]
        with pytest.raises(ValidationError, match="report"):
            WeeklyReviewCreate.model_validate(example)


class TestContractSpecOverrides:
    @pytest.mark.parametrize(("field", "value"), [("point_value", "0"), ("tick_size", "-0.25")])
    def test_values_are_positive(self, field: str, value: str) -> None:
        with pytest.raises(ValidationError, match=field):
            ContractSpecOverride.model_validate(
                _example("requests/ContractSpecOverride.json") | {field: value}
            )

    def test_a_root_is_upper_case_letters_and_digits(self) -> None:
        with pytest.raises(ValidationError, match="root"):
            ContractSpecOverride.model_validate(
                _example("requests/ContractSpecOverride.json") | {"root": "es "}
            )


class TestAccountDeletion:
    def test_the_password_does_not_print_and_is_bounded(self) -> None:
        body = AccountDeletion.model_validate({"password": "hunter22hunter"})
        assert "hunter22hunter" not in repr(body)
        with pytest.raises(ValidationError, match="password"):
            AccountDeletion.model_validate({"password": "x" * 257})
