import json
import uuid
from typing import Any

import httpx
import pytest
from tradeloop_contracts import Problem, ProblemField

from tests.conftest import HTMX
from tests.factories import ACCOUNT_ID, a_fee_schedule
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge

PATH = f"/api/v1/accounts/{ACCOUNT_ID}/fee-schedule"
SECTION = f"/settings/accounts/{ACCOUNT_ID}/fee-schedule"


ES = {"asset_class": "future", "root": "ES", "per_contract": "2.25"}
STOCKS = {"asset_class": "stock", "per_share": "0.005", "minimum": "1.00"}


def row(index: int, asset_class: str = "stock", **fields: str) -> dict[str, str]:
    return {
        f"rules-{index}-{name}": value
        for name, value in {"asset_class": asset_class, **fields}.items()
    }


def save(browser: httpx.Client, *rows: dict[str, str]) -> httpx.Response:
    form: dict[str, Any] = {}
    for fields in rows:
        form.update(fields)
    return browser.post(SECTION, data=form, headers=HTMX)


class TestFeeSchedule:
    def test_each_rule_is_a_row_of_the_editor_with_two_blank_rows_after(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", PATH, a_fee_schedule(ES, STOCKS))

        soup = page(browser.get(SECTION))

        rows = all_by_testid(soup, "fee-rule")
        assert len(rows) == 4
        assert rows[0].select_one("option[selected]")["value"] == "future"  # type: ignore[index]
        values = [
            [field["value"] for field in r.select("input:not([type=checkbox])")] for r in rows
        ]
        assert values[0] == ["ES", "2.25", "0", "0", "0"]
        assert values[1] == ["", "0", "0.005", "0", "1.00"]
        assert values[2] == ["", "", "", "", ""]

    def test_saving_sends_the_filled_rows_and_leaves_out_blank_and_removed_ones(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("PUT", PATH, a_fee_schedule(ES))

        response = save(
            browser,
            row(0, "future", root=" es ", per_contract="2.25"),
            row(1, per_share="0.01", remove="1"),
            row(2, root="", per_share=""),
        )

        assert response.status_code == 200
        [call] = edge.received("PUT", PATH)
        assert json.loads(call.body) == {
            "rules": [
                {
                    "asset_class": "future",
                    "root": "es",
                    "per_contract": "2.25",
                    "per_share": "0",
                    "per_order": "0",
                    "minimum": "0",
                }
            ]
        }
        assert "priced again" in text_of(by_testid(page(response), "fee-schedule-notice"))

    def test_a_refusal_is_shown_on_the_field_of_the_row_it_names(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        problem = Problem(
            title="Invalid request",
            status=422,
            errors=[ProblemField(location="body.rules.1.root", message="a second rule")],
        )
        edge.refuse("PUT", PATH, problem)
        edge.answer("GET", PATH, a_fee_schedule(ES))

        response = save(
            browser,
            row(0, "future", per_contract="2.50"),
            row(1),
            row(2, "future", per_contract="2.25"),
        )

        assert response.status_code == 422
        soup = page(response)
        # Row 1 was blank and not sent, so core's rule 1 is the editor's row 2.
        field = soup.select_one("#rules-2-root")
        assert field is not None
        assert field["aria-invalid"] == "true"
        error = soup.select_one("#rules-2-root-error")
        assert error is not None
        assert text_of(error) == "a second rule"
        assert soup.select_one("#rules-2-per_contract")["value"] == "2.25"  # type: ignore[index]

    def test_a_negative_amount_is_refused_before_edge_is_asked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", PATH, a_fee_schedule(ES))

        response = save(browser, row(0, per_share="-1"))

        assert response.status_code == 422
        assert edge.received("PUT", PATH) == []
        assert page(response).select_one("#rules-0-per_share-error") is not None

    @pytest.mark.usefixtures("edge")
    def test_another_traders_account_is_a_404(self, browser: httpx.Client) -> None:
        response = browser.get(f"/settings/accounts/{uuid.uuid4()}/fee-schedule")

        assert response.status_code == 404
