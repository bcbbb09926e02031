"""Every table of core, gathered for Alembic."""

from __future__ import annotations

from core_api.accounts.models import (
    AccountRecord,
    CashMovementRecord,
    ContractSpecOverrideRecord,
    FeeRuleRecord,
)
from core_api.attachments.models import AttachmentRecord
from core_api.bars.models import PositionBarsRecord
from core_api.brokers.models import BrokerConnectionRecord, BrokerSecretRecord
from core_api.executions.models import ExecutionEditRecord, ExecutionRecord
from core_api.identity.models import (
    ApiTokenRecord,
    AuditLineRecord,
    LoginThrottleRecord,
    RefreshTokenRecord,
    UserRecord,
)
from core_api.imports.models import ImportRecord
from core_api.insights.models import InsightRecord
from core_api.journal.models import JournalEntryRecord, JournalEntryTagRecord
from core_api.kit.models import Base
from core_api.mappings.models import ImportPreviewRecord, SavedColumnMappingRecord
from core_api.outbox.models import OutboxRecord
from core_api.plans.models import PlanVersionRecord, TradingPlanRecord, ViolationRecord
from core_api.playbooks.models import (
    PlaybookCriterionRecord,
    PlaybookRecord,
    PositionCriterionRecord,
    PositionPlaybookRecord,
)
from core_api.positions.models import (
    PositionFillRecord,
    PositionRecord,
    PositionStopRecord,
    PositionTagRecord,
)
from core_api.reviews.models import WeeklyReviewRecord
from core_api.statistics.models import DailyAccountPnlRecord, DailyPnlRecord
from core_api.strategies.models import StrategyRecord
from core_api.tags.models import TagRecord

metadata = Base.metadata

__all__ = [
    "AccountRecord",
    "ApiTokenRecord",
    "AttachmentRecord",
    "AuditLineRecord",
    "BrokerConnectionRecord",
    "BrokerSecretRecord",
    "CashMovementRecord",
    "ContractSpecOverrideRecord",
    "DailyAccountPnlRecord",
    "DailyPnlRecord",
    "ExecutionEditRecord",
    "ExecutionRecord",
    "FeeRuleRecord",
    "ImportPreviewRecord",
    "ImportRecord",
    "InsightRecord",
    "JournalEntryRecord",
    "JournalEntryTagRecord",
    "LoginThrottleRecord",
    "OutboxRecord",
    "PlanVersionRecord",
    "PlaybookCriterionRecord",
    "PlaybookRecord",
    "PositionBarsRecord",
    "PositionCriterionRecord",
    "PositionFillRecord",
    "PositionPlaybookRecord",
    "PositionRecord",
    "PositionStopRecord",
    "PositionTagRecord",
    "RefreshTokenRecord",
    "SavedColumnMappingRecord",
    "StrategyRecord",
    "TagRecord",
    "TradingPlanRecord",
    "UserRecord",
    "ViolationRecord",
    "WeeklyReviewRecord",
    "metadata",
]
