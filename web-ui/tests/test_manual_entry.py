import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
from tradeloop_contracts import Execution, PositionDetail, Problem, ProblemField

from tests.conftest import HTMX
from tests.factories import (
    ACCOUNT_ID,
    OPENED,
    a_journal_page,
    a_position,
    an_execution,
)
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge

A_TRADE = {
    "account_id": str(ACCOUNT_ID),
    "asset_class": "stock",
    "symbol": "MSFT",
    "direction": "long",
    "quantity": "50",
    "entry_at": "2026-03-03T14:30:00",
    "entry_price": "410.50",
    "exit_at": "2026-03-03T15:10:00",
    "exit_price": "412.00",
    "commission": "1.00",
    "initial_stop": "409.00",
    "note": "Opening drive",
    # Fields of other asset classes are left out of a stock's instrument.
    "root": "ES",
    "strike": "400",
}


def sent_json(edge: StubEdge, method: str, path: str) -> Any:
    (call,) = edge.received(method, path)
    return json.loads(call.body)


def errors_of(response: httpx.Response) -> dict[str, str]:
    """Each refused field's message, by the input's name."""
    soup = page(response)
    messages: dict[str, str] = {}
    for control in soup.select('[aria-invalid="true"]'):
        error = soup.select_one(f"#{str(control['id'])}-error")
        assert error is not None
        messages[str(control["name"])] = text_of(error)
    return messages


class TestAddATrade:
    def test_the_trades_page_links_to_the_form_with_the_accounts(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/positions", b'{"items": []}')
        trades = page(browser.get("/trades"))
        assert by_testid(trades, "add-trade")["href"] == "/trades/new"

        form = by_testid(page(browser.get("/trades/new")), "trade-form")

        account = form.select_one("#trade-account_id option")
        assert account is not None
        assert account["value"] == str(ACCOUNT_ID)
        assert form["hx-post"] == "/trades/new"

    def test_a_trade_is_sent_as_contracts_body_and_its_position_opens(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        created = a_position()
        edge.answer("POST", "/api/v1/positions", created, status=201)

        response = browser.post("/trades/new", data=A_TRADE, headers=HTMX)

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == f"/positions/{created.id}"
        assert sent_json(edge, "POST", "/api/v1/positions") == {
            "account_id": str(ACCOUNT_ID),
            "instrument": {
                "asset_class": "stock",
                "symbol": "MSFT",
                "currency": "USD",
                "multiplier": "1",
                "underlying": None,
                "expiry": None,
                "strike": None,
                "right": None,
                "root": None,
                "exchange": None,
                "tick_size": None,
            },
            "direction": "long",
            "quantity": "50",
            "entry_at": "2026-03-03T14:30:00Z",
            "entry_price": "410.50",
            "exit_at": "2026-03-03T15:10:00Z",
            "exit_price": "412.00",
            "commission": "1.00",
            "initial_stop": "409.00",
            "note": "Opening drive",
        }

    def test_an_option_takes_its_underlying_expiry_strike_and_right(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/positions", a_position(), status=201)
        option = {
            **A_TRADE,
            "asset_class": "option",
            "symbol": "AAPL  260320C00190000",
            "multiplier": "100",
            "underlying": "AAPL",
            "expiry": "2026-03-20",
            "strike": "190",
            "right": "call",
        }

        browser.post("/trades/new", data=option, headers=HTMX)

        instrument = sent_json(edge, "POST", "/api/v1/positions")["instrument"]
        assert instrument["multiplier"] == "100"
        assert (instrument["underlying"], instrument["expiry"]) == ("AAPL", "2026-03-20")
        assert (instrument["strike"], instrument["right"], instrument["root"]) == (
            "190",
            "call",
            None,
        )

    def test_an_open_trade_is_sent_without_an_exit_and_with_no_commission(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/positions", a_position(), status=201)
        open_trade = {
            name: value
            for name, value in A_TRADE.items()
            if name not in ("exit_at", "exit_price", "commission", "initial_stop", "note")
        }

        browser.post("/trades/new", data=open_trade, headers=HTMX)

        sent = sent_json(edge, "POST", "/api/v1/positions")
        assert (sent["exit_at"], sent["exit_price"], sent["initial_stop"]) == (None, None, None)
        assert sent["commission"] == "0"

    def test_a_browser_retry_keeps_its_idempotency_key(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/positions", a_position(), status=201)

        for _ in range(2):
            browser.post(
                "/trades/new", data=A_TRADE, headers={**HTMX, "idempotency-key": "trade-3"}
            )

        keys = [
            call.headers["idempotency-key"] for call in edge.received("POST", "/api/v1/positions")
        ]
        assert keys == ["trade-3", "trade-3"]

    def test_refusals_are_shown_by_their_field_before_edge_is_asked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        typed = {**A_TRADE, "symbol": " ", "quantity": "-5", "entry_price": "ten"}

        response = browser.post("/trades/new", data=typed, headers=HTMX)

        assert response.status_code == 422
        assert errors_of(response) == {
            "symbol": "This field is required",
            "quantity": "Use more than 0",
            "entry_price": "Enter a number",
        }
        assert edge.received("POST", "/api/v1/positions") == []
        kept = by_testid(page(response), "trade-form").select_one("#trade-note")
        assert kept is not None
        assert kept.get_text() == "Opening drive"

    def test_an_option_without_its_strike_is_refused_at_the_asset_class(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        option = {**A_TRADE, "asset_class": "option", "underlying": "AAPL", "expiry": "2026-03-20"}
        del option["strike"]

        response = browser.post("/trades/new", data=option, headers=HTMX)

        assert response.status_code == 422
        assert "needs strike, right" in errors_of(response)["asset_class"]
        assert edge.received("POST", "/api/v1/positions") == []

    def test_cores_refusal_is_shown_by_its_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse(
            "POST",
            "/api/v1/positions",
            Problem(
                title="Invalid request",
                status=422,
                errors=[
                    ProblemField(location="body.exit_at", message="The exit is before the entry")
                ],
            ),
        )

        response = browser.post("/trades/new", data=A_TRADE, headers=HTMX)

        assert response.status_code == 422
        assert errors_of(response) == {"exit_at": "The exit is before the entry"}


A_FILL = {
    "account_id": str(ACCOUNT_ID),
    # The account trades in New York: 09:45 there is 14:45 UTC in March 2026.
    "executed_at": "2026-03-09T09:45:00",
    "asset_class": "future",
    "symbol": "ESH6",
    "root": "ES",
    "expiry": "2026-03-20",
    "multiplier": "50",
    "side": "sell",
    "quantity": "2",
    "price": "5131.25",
    "commission": "2.50",
    "fees": "0.70",
    "note": "Missing from the file",
    # Fields of other asset classes are left out of a future's instrument.
    "strike": "5000",
}


class TestAddAFill:
    def test_the_trade_pages_link_to_the_form_with_each_account_s_zone(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/positions", b'{"items": []}')
        assert by_testid(page(browser.get("/trades")), "add-fill")["href"] == "/trades/new/fill"
        assert by_testid(page(browser.get("/trades/new")), "add-fill")["href"] == (
            "/trades/new/fill"
        )

        form = by_testid(page(browser.get("/trades/new/fill")), "fill-form")

        account = form.select_one("#fill-account_id option")
        assert account is not None
        assert account["value"] == str(ACCOUNT_ID)
        assert text_of(account) == "Main margin (America/New_York)"
        assert form["hx-post"] == "/trades/new/fill"

    def test_a_fill_is_sent_in_the_account_s_zone_and_its_position_opens(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()
        created = Execution.model_validate(an_execution(position_id, source="manual"))
        edge.answer("POST", "/api/v1/executions", created, status=201)

        response = browser.post("/trades/new/fill", data=A_FILL, headers=HTMX)

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == f"/positions/{position_id}"
        assert sent_json(edge, "POST", "/api/v1/executions") == {
            "account_id": str(ACCOUNT_ID),
            "executed_at": "2026-03-09T09:45:00-04:00",
            "instrument": {
                "asset_class": "future",
                "symbol": "ESH6",
                "currency": "USD",
                "multiplier": "50",
                "underlying": None,
                "expiry": "2026-03-20",
                "strike": None,
                "right": None,
                "root": "ES",
                "exchange": None,
                "tick_size": None,
            },
            "side": "sell",
            "quantity": "2",
            "price": "5131.25",
            "commission": "2.50",
            "fees": "0.70",
            "fx_rate_to_base": None,
            "order_id": None,
            "open_close": None,
            "kind": "trade",
            "note": "Missing from the file",
        }

    def test_an_option_fill_takes_its_underlying_expiry_strike_and_right(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        created = Execution.model_validate(an_execution(uuid.uuid4(), source="manual"))
        edge.answer("POST", "/api/v1/executions", created, status=201)
        option = {
            **A_FILL,
            "asset_class": "option",
            "symbol": "AAPL  260320C00190000",
            "multiplier": "100",
            "underlying": "AAPL",
            "strike": "190",
            "right": "call",
        }

        browser.post("/trades/new/fill", data=option, headers=HTMX)

        instrument = sent_json(edge, "POST", "/api/v1/executions")["instrument"]
        assert (instrument["underlying"], instrument["expiry"]) == ("AAPL", "2026-03-20")
        assert (instrument["strike"], instrument["right"], instrument["root"]) == (
            "190",
            "call",
            None,
        )

    def test_a_fill_in_no_position_opens_the_trades_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        unmatched = {**an_execution(uuid.uuid4(), source="manual"), "position_id": None}
        created = Execution.model_validate(unmatched)
        edge.answer("POST", "/api/v1/executions", created, status=201)

        response = browser.post("/trades/new/fill", data=A_FILL, headers=HTMX)

        assert response.headers["hx-redirect"] == "/trades"

    def test_refusals_are_shown_by_their_field_before_edge_is_asked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        typed = {**A_FILL, "price": "-1", "quantity": "two", "executed_at": "yesterday"}

        response = browser.post("/trades/new/fill", data=typed, headers=HTMX)

        assert response.status_code == 422
        errors = errors_of(response)
        assert errors.keys() == {"price", "quantity", "executed_at"}
        assert (errors["price"], errors["quantity"]) == ("Use 0 or more", "Enter a number")
        assert edge.received("POST", "/api/v1/executions") == []
        kept = by_testid(page(response), "fill-form").select_one("#fill-price")
        assert kept is not None
        assert kept["value"] == "-1"

    def test_cores_refusal_is_shown_by_its_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse(
            "POST",
            "/api/v1/executions",
            Problem(
                title="Invalid request",
                status=422,
                errors=[
                    ProblemField(location="body.instrument.root", message="Unknown root"),
                    ProblemField(location="body.price", message="Not on the tick size"),
                ],
            ),
        )

        response = browser.post("/trades/new/fill", data=A_FILL, headers=HTMX)

        assert response.status_code == 422
        assert errors_of(response) == {"root": "Unknown root", "price": "Not on the tick size"}


def serve(edge: StubEdge, position: PositionDetail) -> None:
    edge.answer("GET", f"/api/v1/positions/{position.id}", position)
    edge.answer("GET", "/api/v1/journal/entries", a_journal_page())


def edited_position() -> PositionDetail:
    position_id = uuid.uuid4()
    return a_position(
        id=position_id,
        executions=[
            an_execution(
                position_id,
                source="import",
                price=Decimal("187.30"),
                edits=[{"field": "price", "original": "187.25", "value": "187.30"}],
            ),
            an_execution(
                position_id, source="manual", side="sell", note="Stopped", executed_at=OPENED
            ),
        ],
    )


def fill_form(position: PositionDetail, index: int = 0, **changes: str) -> dict[str, str]:
    """The edit form of a fill as the page fills it in, with these changes."""
    fill = position.executions[index]
    return {
        "price": str(fill.price),
        "quantity": str(fill.quantity),
        "commission": str(fill.commission),
        "fees": str(fill.fees),
        "executed_at": fill.executed_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "note": fill.note or "",
        **changes,
    }


class TestAFillsEdits:
    def test_each_fill_shows_its_source_and_what_the_trader_edited(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = edited_position()
        serve(edge, position)

        soup = page(browser.get(f"/positions/{position.id}"))

        sources = [text_of(cell) for cell in all_by_testid(soup, "fill-source")]
        assert sources == ["imported", "entered by hand"]
        (edited,) = all_by_testid(soup, "fill-edited")
        assert text_of(edited).startswith("price edited, was 187.25 Revert")
        revert = edited.select_one("button")
        assert revert is not None
        assert json.loads(str(revert["hx-vals"])) == {"field": "price"}
        price = soup.select_one(f"#fill-{position.executions[0].id}-price")
        assert price is not None
        assert price["value"] == "187.30"
        assert by_testid(soup, "delete-trade")["hx-post"] == f"/positions/{position.id}/delete"

    def test_saving_sends_only_the_fields_changed_and_reloads_the_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = edited_position()
        serve(edge, position)
        fill = position.executions[1]
        edge.answer(
            "PATCH",
            f"/api/v1/executions/{fill.id}",
            Execution.model_validate(an_execution(position.id)),
        )

        response = browser.post(
            f"/positions/{position.id}/executions/{fill.id}",
            data=fill_form(position, 1, price="187.5", executed_at="2026-03-02T14:31:05", note=""),
            headers=HTMX,
        )

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == f"/positions/{position.id}"
        assert sent_json(edge, "PATCH", f"/api/v1/executions/{fill.id}") == {
            "price": "187.5",
            "executed_at": "2026-03-02T14:31:05Z",
            "note": None,
        }

    def test_a_form_saved_unchanged_sends_nothing(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = edited_position()
        serve(edge, position)
        fill = position.executions[0]

        response = browser.post(
            f"/positions/{position.id}/executions/{fill.id}",
            data=fill_form(position, price="187.300"),
            headers=HTMX,
        )

        assert response.headers["hx-redirect"] == f"/positions/{position.id}"
        assert edge.received("PATCH", f"/api/v1/executions/{fill.id}") == []

    def test_a_blank_or_bad_number_is_refused_by_its_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = edited_position()
        serve(edge, position)
        fill = position.executions[0]

        response = browser.post(
            f"/positions/{position.id}/executions/{fill.id}",
            data=fill_form(position, price="", quantity="0"),
            headers=HTMX,
        )

        assert response.status_code == 422
        assert errors_of(response) == {"price": "This field is required"}
        assert edge.received("PATCH", f"/api/v1/executions/{fill.id}") == []
        price = page(response).select_one(f"#fill-{fill.id}-price")
        assert price is not None
        assert price["value"] == ""

        response = browser.post(
            f"/positions/{position.id}/executions/{fill.id}",
            data=fill_form(position, quantity="0"),
            headers=HTMX,
        )

        assert errors_of(response) == {"quantity": "Use more than 0"}
        edit = page(response).select_one(f"#fill-{fill.id}-edit")
        assert edit is not None
        assert edit.has_attr("open")

    def test_cores_refusal_is_shown_by_its_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = edited_position()
        serve(edge, position)
        fill = position.executions[0]
        edge.refuse(
            "PATCH",
            f"/api/v1/executions/{fill.id}",
            Problem(
                title="Invalid request",
                status=422,
                errors=[ProblemField(location="/body/fees", message="Fees cannot exceed 1000")],
            ),
        )

        response = browser.post(
            f"/positions/{position.id}/executions/{fill.id}",
            data=fill_form(position, fees="5000"),
            headers=HTMX,
        )

        assert response.status_code == 422
        assert errors_of(response) == {"fees": "Fees cannot exceed 1000"}

    def test_revert_takes_an_edited_field_back(self, browser: httpx.Client, edge: StubEdge) -> None:
        position = edited_position()
        serve(edge, position)
        fill = position.executions[0]
        edge.answer(
            "PATCH",
            f"/api/v1/executions/{fill.id}",
            Execution.model_validate(an_execution(position.id)),
        )

        response = browser.post(
            f"/positions/{position.id}/executions/{fill.id}/revert",
            data={"field": "price"},
            headers=HTMX,
        )

        assert response.headers["hx-redirect"] == f"/positions/{position.id}"
        assert sent_json(edge, "PATCH", f"/api/v1/executions/{fill.id}") == {"revert": ["price"]}

    def test_a_field_not_edited_or_a_fill_of_another_position_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = edited_position()
        serve(edge, position)
        fill = position.executions[0]
        stranger = uuid.uuid4()

        not_edited = browser.post(
            f"/positions/{position.id}/executions/{fill.id}/revert",
            data={"field": "fees"},
            headers=HTMX,
        )
        elsewhere = browser.post(
            f"/positions/{position.id}/executions/{stranger}",
            data=fill_form(position, price="1"),
            headers=HTMX,
        )

        assert [not_edited.status_code, elsewhere.status_code] == [404, 404]
        assert [r.method for r in edge.requests if r.method != "GET"] == []


class TestDeletes:
    def test_a_deleted_fill_reloads_its_position(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = edited_position()
        serve(edge, position)
        fill = position.executions[1]
        edge.answer("DELETE", f"/api/v1/executions/{fill.id}", status=204)

        response = browser.post(
            f"/positions/{position.id}/executions/{fill.id}/delete", headers=HTMX
        )

        assert response.headers["hx-redirect"] == f"/positions/{position.id}"
        assert len(edge.received("DELETE", f"/api/v1/executions/{fill.id}")) == 1

    def test_deleting_the_opening_fill_of_a_position_opens_the_trades(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        # No position answers after the delete: it went with its opening fill.
        position_id, fill_id = uuid.uuid4(), uuid.uuid4()
        edge.answer("DELETE", f"/api/v1/executions/{fill_id}", status=204)

        response = browser.post(
            f"/positions/{position_id}/executions/{fill_id}/delete", headers=HTMX
        )

        assert response.headers["hx-redirect"] == "/trades"
        assert len(edge.received("DELETE", f"/api/v1/executions/{fill_id}")) == 1

    def test_another_traders_fill_is_not_found(self, browser: httpx.Client, edge: StubEdge) -> None:
        fill_id = uuid.uuid4()

        response = browser.post(
            f"/positions/{uuid.uuid4()}/executions/{fill_id}/delete", headers=HTMX
        )

        assert response.status_code == 404
        assert len(edge.received("DELETE", f"/api/v1/executions/{fill_id}")) == 1

    def test_a_deleted_trade_opens_the_trades(self, browser: httpx.Client, edge: StubEdge) -> None:
        position_id = uuid.uuid4()
        edge.answer("DELETE", f"/api/v1/positions/{position_id}", status=204)

        response = browser.post(f"/positions/{position_id}/delete", headers=HTMX)

        assert response.headers["hx-redirect"] == "/trades"
        assert len(edge.received("DELETE", f"/api/v1/positions/{position_id}")) == 1

    def test_another_traders_trade_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()

        response = browser.post(f"/positions/{position_id}/delete", headers=HTMX)

        assert response.status_code == 404
        assert len(edge.received("DELETE", f"/api/v1/positions/{position_id}")) == 1
