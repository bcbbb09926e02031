"""Completing an instrument as an importer sent it, from the symbology and the specs."""

from __future__ import annotations

from collections.abc import Mapping

from tradeloop_contracts import Instrument

from core_api.instruments.futures import CONTRACT_SPECS, ContractSpec
from core_api.instruments.occ import STANDARD_MULTIPLIER, OccSymbolError, parse_occ

FUTURES_CLASSES = ("future", "future_option")
# Instrument fields a contract spec provides; with no spec they keep the instrument defaults.
SPEC_FIELDS = ("multiplier", "tick_size", "exchange", "currency")


def normalise(
    instrument: Instrument, specs: Mapping[str, ContractSpec] = CONTRACT_SPECS
) -> Instrument:
    """The instrument with what the sender left out filled in; what it sent always wins.

    Equity options without a multiplier get 100 unless their OCC root marks an adjusted
    option (whose deliverable only the broker knows). Futures and futures options of a
    known root get the point value, tick size, exchange and currency of `specs`.
    """
    fields: dict[str, object] = {}
    if instrument.asset_class == "option" and "multiplier" not in instrument.model_fields_set:
        try:
            adjusted = parse_occ(instrument.symbol).adjusted
        except OccSymbolError:
            adjusted = False
        if not adjusted:
            fields["multiplier"] = STANDARD_MULTIPLIER
    spec = specs.get(futures_root(instrument) or "")
    if spec is not None:
        values = spec_values(spec)
        fields.update({name: values[name] for name in unsent_spec_fields(instrument)})
    if not fields:
        return instrument
    return Instrument.model_validate({**instrument.model_dump(exclude_unset=True), **fields})


def futures_root(instrument: Instrument) -> str | None:
    """The root a future or futures option is specified by (upper case); None for others."""
    if instrument.asset_class not in FUTURES_CLASSES:
        return None
    return (instrument.root or instrument.underlying or "").upper() or None


def unsent_spec_fields(instrument: Instrument) -> tuple[str, ...]:
    """The spec fields of a future or futures option the sender left to the specs."""
    if instrument.asset_class not in FUTURES_CLASSES:
        return ()
    return tuple(name for name in SPEC_FIELDS if name not in instrument.model_fields_set)


def spec_values(spec: ContractSpec | None) -> dict[str, object]:
    """The instrument fields `spec` gives; the instrument defaults without one."""
    if spec is None:
        return {
            name: field.default
            for name, field in Instrument.model_fields.items()
            if name in SPEC_FIELDS
        }
    return {
        "multiplier": spec.point_value,
        "tick_size": spec.tick_size,
        "exchange": spec.exchange,
        "currency": spec.currency,
    }
