"""The rules editor's form model: each rule kind's typed fields, read from and written to
the form, and refusals placed next to the field they name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError
from starlette.datastructures import FormData
from tradeloop_contracts import CustomRuleCheck, ProblemField, Rule, RuleCreate, TradingPlanUpdate

from web_ui.forms import field_errors

FieldType = Literal[
    "amount",
    "int",
    "time",
    "text",
    "list",
    "weekdays",
    "asset_class",
    "asset_classes",
    "expression",
    "choice",
]


@dataclass(frozen=True)
class ParamField:
    """One parameter of a rule kind as the editor shows it."""

    name: str
    label: str
    type: FieldType
    hint: str = ""
    required: bool = False
    # (value, label) of a `choice`; the first is the default.
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RuleKind:
    kind: str
    title: str
    fields: tuple[ParamField, ...]


WEEKDAYS = (
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
)
ASSET_CLASSES = (
    ("stock", "Stock"),
    ("option", "Option"),
    ("future", "Future"),
    ("future_option", "Future option"),
    ("forex", "Forex"),
    ("crypto", "Crypto"),
)
_PERCENT = ParamField(
    "percent_of_account",
    "Or percent of the account",
    "amount",
    "Instead of an amount: 0–100, of the account's balance (its starting balance is needed).",
)
_R = ParamField(
    "r_multiple",
    "Or in R",
    "amount",
    "Instead of an amount: multiples of the account's risk unit (set in Settings).",
)

# Every kind of contracts' `RuleParams`, in the order the editor offers them.
RULE_KINDS: dict[str, RuleKind] = {
    kind.kind: kind
    for kind in (
        RuleKind(
            "max_daily_loss",
            "Maximum daily loss",
            (
                ParamField("amount", "Loss limit for the day", "amount", "In your base currency."),
                _PERCENT,
                _R,
            ),
        ),
        RuleKind(
            "max_trades_per_day",
            "Maximum trades per day",
            (ParamField("count", "Positions opened per trading day", "int", required=True),),
        ),
        RuleKind(
            "max_position_size",
            "Maximum position size",
            (
                ParamField("quantity", "Largest quantity", "amount"),
                ParamField(
                    "notional", "Or largest notional", "amount", "Price × quantity × multiplier."
                ),
                ParamField("asset_class", "Only for the asset class", "asset_class"),
            ),
        ),
        RuleKind(
            "max_risk_per_trade",
            "Maximum risk per trade",
            (
                ParamField(
                    "amount", "Risk to the planned stop", "amount", "In the position's currency."
                ),
                _PERCENT,
                _R,
            ),
        ),
        RuleKind(
            "trading_window",
            "Trading window",
            (
                ParamField("weekdays", "Days", "weekdays", required=True),
                ParamField(
                    "start", "From", "time", "In your time zone, or the exchange's session."
                ),
                ParamField("end", "Until", "time"),
                ParamField(
                    "exchange", "Exchange calendar", "text", "A calendar code such as XNYS."
                ),
                ParamField("skip_first_minutes", "Skip the session's first minutes", "int"),
                ParamField("skip_last_minutes", "Skip the session's last minutes", "int"),
            ),
        ),
        RuleKind(
            "cooldown_after_loss",
            "Cooldown after a loss",
            (ParamField("minutes", "Minutes to wait after closing a loser", "int", required=True),),
        ),
        RuleKind(
            "max_consecutive_losses",
            "Maximum losses in a row",
            (
                ParamField(
                    "count",
                    "Stop for the day after this many losers in a row",
                    "int",
                    required=True,
                ),
            ),
        ),
        RuleKind(
            "symbols",
            "Symbols and asset classes",
            (
                ParamField(
                    "allowed_symbols",
                    "Only these symbols",
                    "list",
                    "Separated by commas; blank allows all.",
                ),
                ParamField(
                    "blocked_symbols", "Never these symbols", "list", "Separated by commas."
                ),
                ParamField("allowed_asset_classes", "Only these asset classes", "asset_classes"),
            ),
        ),
        RuleKind(
            "journal_required",
            "Journal every trade",
            (ParamField("hours", "Hours after closing to write the entry", "int", required=True),),
        ),
        RuleKind(
            "trailing_drawdown",
            "Trailing drawdown",
            (
                ParamField(
                    "amount",
                    "Largest drop from the high",
                    "amount",
                    "In your base currency; equity is the account's realised net P&L.",
                    required=True,
                ),
                ParamField(
                    "basis",
                    "The high rises",
                    "choice",
                    options=(("end_of_day", "At each day's end"), ("intraday", "With every close")),
                ),
                ParamField(
                    "lock_at",
                    "Stop trailing at start plus",
                    "amount",
                    "The floor stops rising once it reaches this much above the start.",
                ),
            ),
        ),
        RuleKind(
            "consistency",
            "Consistency",
            (
                ParamField(
                    "max_day_share_percent",
                    "Most of the profit one day may make (%)",
                    "amount",
                    required=True,
                ),
            ),
        ),
        RuleKind(
            "min_trading_days",
            "Minimum trading days",
            (
                ParamField(
                    "count",
                    "Trading days to reach",
                    "int",
                    "A target, never a violation.",
                    required=True,
                ),
            ),
        ),
        RuleKind(
            "max_open_contracts",
            "Maximum open contracts",
            (
                ParamField("count", "Contracts or units held at once", "amount", required=True),
                ParamField("asset_class", "Only for the asset class", "asset_class"),
            ),
        ),
        RuleKind(
            "custom",
            "Custom rule (CEL)",
            (
                ParamField(
                    "expression",
                    "Expression that must hold for each position",
                    "expression",
                    "Common Expression Language, e.g. position.r_multiple > -1.5",
                    required=True,
                ),
            ),
        ),
    )
}

FormValue = str | list[str]


@dataclass(frozen=True)
class ExpressionError:
    """A custom rule's compile error at a line and column of its expression."""

    message: str
    line: int
    column: int
    source_line: str


@dataclass
class RuleForm:
    """One rule as the editor shows it: what was typed or stored, and what is wrong with it."""

    index: int
    kind: str
    name: str = ""
    enabled: bool = True
    values: dict[str, FormValue] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # A custom rule's compile error where the server located it in the expression.
    expression_at: ExpressionError | None = None

    @property
    def spec(self) -> RuleKind:
        return RULE_KINDS[self.kind]

    def field_id(self, name: str) -> str:
        """The form field (and element id) of one of this rule's inputs."""
        return f"rules-{self.index}-{name}"


def _shown(value: object) -> FormValue:
    if isinstance(value, list):
        return [str(item) for item in value]
    text = str(value)
    # Times come back as HH:MM:SS; the time input shows minutes.
    return text[:5] if re.fullmatch(r"\d\d:\d\d:00", text) else text


def stored_rule_form(index: int, rule: Rule | RuleCreate) -> RuleForm:
    """The editor's form for a stored rule (or a preset's), its parameters shown as the
    inputs take them."""
    params = rule.params if isinstance(rule, Rule) else rule.params.model_dump(mode="json")
    values = {
        name: _shown(value)
        for name, value in params.items()
        if name != "kind" and value is not None and value != []
    }
    return RuleForm(index, str(params["kind"]), rule.name, rule.enabled, values)


def new_rule_form(index: int, kind: str) -> RuleForm:
    """A blank rule of `kind` with its kind's title as name; KeyError for an unknown kind."""
    spec = RULE_KINDS[kind]
    values: dict[str, FormValue] = (
        {"weekdays": ["mon", "tue", "wed", "thu", "fri"]} if kind == "trading_window" else {}
    )
    return RuleForm(index, kind, spec.title, True, values)


def _split(text: str) -> list[str]:
    return [part.strip().upper() for part in re.split(r"[,\s]+", text) if part.strip()]


def rule_forms(form: FormData) -> list[RuleForm]:
    """Every rule the submitted editor holds, in order, leaving out those marked for removal."""
    indices = sorted(
        int(match.group(1))
        for key in form.keys()
        if (match := re.fullmatch(r"rules-(\d+)-kind", key))
    )
    rules = []
    for index in indices:
        prefix = f"rules-{index}-"
        kind = str(form.get(prefix + "kind", ""))
        if kind not in RULE_KINDS or form.get(prefix + "remove") == "yes":
            continue
        values: dict[str, FormValue] = {}
        for param in RULE_KINDS[kind].fields:
            if param.type in ("weekdays", "asset_classes"):
                values[param.name] = [str(v) for v in form.getlist(prefix + param.name)]
            else:
                raw = str(form.get(prefix + param.name, ""))
                values[param.name] = raw if param.type == "expression" else raw.strip()
        name = str(form.get(prefix + "name", "")).strip()
        enabled = form.get(prefix + "enabled") == "yes"
        rules.append(RuleForm(index, kind, name, enabled, values))
    return rules


def _params(rule: RuleForm) -> dict[str, object]:
    params: dict[str, object] = {"kind": rule.kind}
    for param in rule.spec.fields:
        value = rule.values.get(param.name)
        if param.type == "list" and isinstance(value, str):
            if value:
                params[param.name] = _split(value)
        elif isinstance(value, list):
            if value or param.required:
                params[param.name] = value
        elif value:
            params[param.name] = value
    return params


def plan_update(rules: Sequence[RuleForm]) -> TradingPlanUpdate | None:
    """The plan the editor describes, or None after placing each refusal on its rule."""
    bodies = []
    for rule in rules:
        try:
            bodies.append(
                RuleCreate.model_validate(
                    {"name": rule.name, "enabled": rule.enabled, "params": _params(rule)}
                )
            )
        except ValidationError as exc:
            place_errors(rules, [_in_rule(rules.index(rule), error) for error in field_errors(exc)])
    if any(rule.errors for rule in rules):
        return None
    return TradingPlanUpdate(rules=bodies)


def _in_rule(position: int, error: ProblemField) -> ProblemField:
    return ProblemField(location=f"body.rules.{position}.{error.location}", message=error.message)


_LOCATION = re.compile(r"(?:body[./])?rules[./](\d+)[./](?:params[./](?:[a-z_]+[./])?)?([a-z_]+)")


def place_errors(rules: Sequence[RuleForm], errors: Iterable[ProblemField]) -> list[str]:
    """Put each refusal located at `body.rules.N.params.F` (or `/rules/N/...`) on rule N's
    field F; returns the messages that name no rule field."""
    unplaced = []
    for error in errors:
        match = _LOCATION.search(error.location)
        if match is None or int(match.group(1)) >= len(rules):
            unplaced.append(error.message)
            continue
        rule = rules[int(match.group(1))]
        name = match.group(2)
        known = {param.name for param in rule.spec.fields} | {"name"}
        rule.errors.setdefault(name if name in known else "name", error.message)
    return unplaced


_AT_COLUMN = re.compile(r"^line (\d+), column (\d+): (.*)$", re.DOTALL)


def expression_error(expression: str, message: str) -> ExpressionError | None:
    """The error as a position in `expression` when the message names one, else None."""
    match = _AT_COLUMN.match(message)
    if match is None:
        return None
    line, column = int(match.group(1)), int(match.group(2))
    lines = expression.splitlines() or [""]
    source = lines[min(line, len(lines)) - 1]
    return ExpressionError(match.group(3), line, column, source)


def place_check(rules: Sequence[RuleForm], check: CustomRuleCheck, message: str) -> None:
    """Put a custom rule's compile error at the line and column the server found."""
    if check.rule_index is None or check.rule_index >= len(rules):
        return
    rule = rules[check.rule_index]
    lines = check.expression.splitlines() or [""]
    source = lines[min(check.line, len(lines)) - 1]
    reason = match.group(3) if (match := _AT_COLUMN.match(message)) else message
    rule.expression_at = ExpressionError(reason, check.line, check.column, source)
