import uuid

import httpx

from tests.factories import a_position, a_position_page, a_strategy
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge


class TestTradesPage:
    def test_a_strategy_s_legs_are_one_row_linking_to_its_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        strategy = a_strategy()
        long_leg, short_leg = strategy.legs
        alone = a_position()
        edge.answer("GET", "/api/v1/positions", a_position_page(long_leg, alone, short_leg))  # type: ignore[arg-type]
        edge.answer("GET", f"/api/v1/strategies/{strategy.id}", strategy)

        soup = page(browser.get("/trades"))

        [row] = all_by_testid(soup, "strategy-row")
        assert row.select_one(f'a[href="/strategies/{strategy.id}"]') is not None
        assert "Vertical SPY" in text_of(row)
        assert "2 legs" in text_of(row)
        assert "+182.40 USD" in text_of(row)
        # The strategy stands where its first leg did; the other leg is not repeated.
        rows = soup.select("#trades-table tbody tr")
        assert [r.get("data-strategy-id") or r.get("data-position-id") for r in rows] == [
            str(strategy.id),
            str(alone.id),
        ]
        assert len(edge.received("GET", f"/api/v1/strategies/{strategy.id}")) == 1

    def test_legs_of_a_strategy_no_longer_there_show_as_positions(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        long_leg, short_leg = a_strategy().legs
        edge.answer("GET", "/api/v1/positions", a_position_page(long_leg, short_leg))  # type: ignore[arg-type]

        soup = page(browser.get("/trades"))

        assert all_by_testid(soup, "strategy-row") == []
        assert len(all_by_testid(soup, "trade-row")) == 2


class TestStrategyPage:
    def test_shows_each_leg_linking_to_its_position_and_the_rolls(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        earlier, later = uuid.uuid4(), uuid.uuid4()
        strategy = a_strategy(rolled_from=earlier, rolled_to=later)
        edge.answer("GET", f"/api/v1/strategies/{strategy.id}", strategy)

        soup = page(browser.get(f"/strategies/{strategy.id}"))

        assert "Vertical SPY" in text_of(soup.select_one("h1"))  # type: ignore[arg-type]
        assert "+182.40 USD" in text_of(by_testid(soup, "strategy-net-pnl"))
        legs = all_by_testid(soup, "strategy-leg")
        assert [leg.select_one("a")["href"] for leg in legs] == [  # type: ignore[index]
            f"/positions/{leg.id}" for leg in strategy.legs
        ]
        assert "515" in text_of(legs[1])
        assert "-26.30 USD" in text_of(legs[1]) or "−26.30 USD" in text_of(legs[1])
        assert by_testid(soup, "rolled-from")["href"] == f"/strategies/{earlier}"
        assert by_testid(soup, "rolled-to")["href"] == f"/strategies/{later}"

    def test_another_trader_s_strategy_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        strategy_id = uuid.uuid4()
        response = browser.get(f"/strategies/{strategy_id}")
        assert response.status_code == 404
        assert edge.received("GET", f"/api/v1/strategies/{strategy_id}")
