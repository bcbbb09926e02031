"""The JSON Schema (2020-12) artifact: one file per API body and per event type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, create_model

from . import (
    _accounts,
    _analytics,
    _archive,
    _attachments,
    _auth,
    _brokers,
    _chat,
    _dashboard,
    _executions,
    _fees,
    _imports,
    _insights,
    _instruments,
    _journal,
    _mappings,
    _market_data,
    _outbox,
    _plans,
    _playbooks,
    _positions,
    _problem,
    _statistics,
    _strategies,
)
from ._events import EVENT_CATALOGUE, SCHEMA_BASE, Event, EventSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BodyKind = Literal["requests", "responses"]

REQUEST_BODIES: tuple[type[BaseModel], ...] = (
    _auth.SignupRequest,
    _auth.LoginRequest,
    _auth.RefreshRequest,
    _auth.LogoutRequest,
    _auth.PasswordChange,
    _auth.UserUpdate,
    _auth.ApiTokenCreate,
    _auth.ServiceTokenRequest,
    _auth.AccountDeletion,
    _accounts.AccountCreate,
    _accounts.AccountUpdate,
    _accounts.CashMovementCreate,
    _executions.ExecutionBatch,
    _executions.ExecutionCreate,
    _executions.ExecutionEdit,
    _fees.FeeScheduleUpdate,
    _imports.ImportOptions,
    _imports.ImportProgress,
    _imports.ImportOutcome,
    _positions.PositionUpdate,
    _positions.PositionCreate,
    _positions.PositionTagsChange,
    _positions.PositionExcursions,
    _instruments.ContractSpecOverride,
    _mappings.SavedColumnMappingCreate,
    _journal.JournalEntryCreate,
    _journal.JournalEntryUpdate,
    _journal.TagCreate,
    _plans.TradingPlanUpdate,
    _playbooks.PlaybookCreate,
    _playbooks.PlaybookUpdate,
    _playbooks.PositionPlaybookSet,
    _insights.InsightCreate,
    _insights.WeeklyReviewCreate,
    _chat.ChatRequest,
    _outbox.OutboxClaim,
    _outbox.OutboxAck,
    _brokers.BrokerConnectionCreate,
    _brokers.BrokerSyncUpdate,
)

RESPONSE_BODIES: tuple[type[BaseModel], ...] = (
    _problem.Problem,
    _auth.TokenPair,
    _auth.User,
    _auth.ApiToken,
    _auth.ApiTokenList,
    _auth.ApiTokenCreated,
    _auth.ServiceToken,
    _accounts.Account,
    _accounts.AccountList,
    _accounts.CashMovement,
    _accounts.CashMovementList,
    _accounts.AccountBalance,
    _archive.ArchiveManifest,
    _archive.ArchiveRestoreResult,
    _executions.ExecutionBatchResult,
    _executions.ExecutionPage,
    _executions.Execution,
    _fees.FeeSchedule,
    _imports.ImportUndo,
    _strategies.Strategy,
    _strategies.StrategyPage,
    _imports.ImportJob,
    _imports.ImportDetail,
    _imports.ImportPage,
    _mappings.SavedColumnMapping,
    _mappings.SavedColumnMappingList,
    _mappings.CsvPreview,
    _positions.Position,
    _positions.PositionDetail,
    _positions.PositionPage,
    _positions.PositionBars,
    _instruments.ContractSpecOverrideList,
    _attachments.Attachment,
    _attachments.AttachmentList,
    _journal.JournalEntry,
    _journal.JournalEntryPage,
    _journal.Tag,
    _journal.TagList,
    _plans.TradingPlan,
    _plans.ViolationPage,
    _plans.PlanVersion,
    _plans.PlanVersionList,
    _plans.PlanPreview,
    _plans.Adherence,
    _plans.CustomRuleCheck,
    _plans.PlanPresetList,
    _plans.PlanLimits,
    _playbooks.Playbook,
    _playbooks.PlaybookList,
    _insights.Insight,
    _insights.InsightList,
    _insights.WeeklyReview,
    _insights.WeeklyReviewDuePage,
    _insights.WeeklyReviewList,
    _insights.WeeklyReviewReport,
    _insights.ReflectionThemes,
    _analytics.Analytics,
    _chat.ChatReply,
    _brokers.BrokerConnection,
    _brokers.BrokerConnectionList,
    _brokers.DueBrokerConnectionList,
    _brokers.SealedBrokerCredentials,
    _market_data.BarSeries,
    _statistics.Statistics,
    _dashboard.Dashboard,
    _outbox.OutboxBatch,
)


def body_schema_id(kind: BodyKind, model: type[BaseModel]) -> str:
    """The stable `$id` of an API body's schema; it never carries the package version."""
    return f"{SCHEMA_BASE}/{kind}/{model.__name__}.json"


def event_model(spec: EventSpec) -> type[BaseModel]:
    """The envelope model of one event type, with `type` fixed to the type's name."""
    name = "".join(part.title() for part in spec.type.replace("_", ".").split(".")) + "Event"
    model: type[BaseModel] = create_model(
        name,
        __base__=Event[spec.data],  # type: ignore[name-defined]
        __doc__=spec.data.__doc__,
        type=(Literal[spec.type], spec.type),  # type: ignore[arg-type]
    )
    return model


def _document(model: type[BaseModel], schema_id: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    return {"$schema": DIALECT, "$id": schema_id, **schema}


def build_schemas() -> dict[str, dict[str, Any]]:
    """Every schema of this version, keyed by its path inside the artifact, plus `index.json`."""
    files: dict[str, dict[str, Any]] = {}
    index: list[dict[str, str]] = []
    for kind, models in (("requests", REQUEST_BODIES), ("responses", RESPONSE_BODIES)):
        for model in models:
            path = f"{kind}/{model.__name__}.json"
            schema_id = body_schema_id(kind, model)  # type: ignore[arg-type]
            files[path] = _document(model, schema_id)
            index.append({"$id": schema_id, "file": path, "kind": kind[:-1]})
    for spec in EVENT_CATALOGUE.values():
        path = f"events/{spec.type}.json"
        files[path] = _document(event_model(spec), spec.schema_id)
        index.append({"$id": spec.schema_id, "file": path, "kind": "event"})
    files["index.json"] = {"schemas": sorted(index, key=lambda entry: entry["file"])}
    return files


def write_schemas(directory: Path) -> list[Path]:
    """Writes the artifact's files under `directory` (replacing stale ones) and returns them."""
    written = []
    for relative, schema in sorted(build_schemas().items()):
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
