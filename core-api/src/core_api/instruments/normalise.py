"""Completing an instrument as an importer sent it, from the symbology and the specs."""

from __future__ import annotations

from collections.abc import Mapping

from tradeloop_contracts import Instrument

from core_api.instruments.futures import CONTRACT_SPECS, ContractSpec
from core_api.instruments.occ import STANDARD_MULTIPLIER, OccSymbolError, parse_occ


def normalise(
    instrument: Instrument, specs: Mapping[str, ContractSpec] = CONTRACT_SPECS
) -> Instrument:
    """The instrument with what the sender left out filled in; what it sent always wins.

    Equity options without a multiplier get 100 unless their OCC root marks an adjusted
    option (whose deliverable only the broker knows). Futures and futures options of a
    known root get the point value, tick size, exchange and currency of `specs`.
    """
    given = instrument.model_fields_set
    fields: dict[str, object] = {}
    if instrument.asset_class == "option" and "multiplier" not in given:
        try:
            adjusted = parse_occ(instrument.symbol).adjusted
        except OccSymbolError:
            adjusted = False
        if not adjusted:
            fields["multiplier"] = STANDARD_MULTIPLIER
    if instrument.asset_class in ("future", "future_option"):
        spec = specs.get((instrument.root or instrument.underlying or "").upper())
        if spec is not None:
            defaults = {
                "multiplier": spec.point_value,
                "tick_size": spec.tick_size,
                "exchange": spec.exchange,
                "currency": spec.currency,
            }
            fields.update({name: value for name, value in defaults.items() if name not in given})
    if not fields:
        return instrument
    return Instrument.model_validate({**instrument.model_dump(exclude_unset=True), **fields})
