"""Default stop rules: set and cleared on the account page, and where a position's stop came
from on its page."""

import json
from decimal import Decimal
from typing import Any

import httpx
from tradeloop_contracts import DefaultStop, Problem, ProblemField

from tests.conftest import HTMX
from tests.factories import (
    ACCOUNT_ID,
    a_cash_movement_list,
    a_playbook,
    an_account,
    an_account_balance,
    an_account_list,
    following,
)
from tests.html import by_testid, page, text_of
from tests.stub_edge import StubEdge
from tests.test_positions import serve_position

ACCOUNT = f"/api/v1/accounts/{ACCOUNT_ID}"
SECTION = f"/settings/accounts/{ACCOUNT_ID}"


def serve_account(edge: StubEdge, **fields: Any) -> None:
    edge.answer("GET", "/api/v1/accounts", an_account_list(an_account(**fields)))
    edge.answer("GET", f"{ACCOUNT}/balance", an_account_balance())
    edge.answer("GET", f"{ACCOUNT}/cash-movements", a_cash_movement_list())


def save(browser: httpx.Client, kind: str, distance: str) -> httpx.Response:
    form = {"starting_balance": "", "risk_unit": "250"}
    form |= {"default_stop_kind": kind, "default_stop_distance": distance}
    return browser.post(SECTION, data=form, headers=HTMX)


class TestAccountRule:
    def test_the_page_shows_the_account_s_rule(self, browser: httpx.Client, edge: StubEdge) -> None:
        serve_account(edge, default_stop=DefaultStop(kind="ticks", distance=Decimal(8)))

        soup = page(browser.get(SECTION))

        chosen = soup.select_one("#money-default_stop_kind option[selected]")
        assert chosen is not None
        assert chosen["value"] == "ticks"
        distance = soup.select_one("#money-default_stop_distance")
        assert distance is not None
        assert distance["value"] == "8"

    def test_saving_sends_the_rule_and_no_kind_clears_it(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_account(edge)
        edge.answer("PATCH", ACCOUNT, an_account())

        saved = save(browser, "percent", " 1.5 ")
        cleared = save(browser, "", "1.5")

        assert (saved.status_code, cleared.status_code) == (200, 200)
        sent = [json.loads(r.body) for r in edge.received("PATCH", ACCOUNT)]
        assert [body["default_stop"] for body in sent] == [
            {"kind": "percent", "distance": "1.5"},
            None,
        ]
        assert sent[0]["risk_unit"] == "250"
        assert "default stop" in text_of(by_testid(page(saved), "settings-notice"))

    def test_a_kind_without_a_distance_is_refused_next_to_the_distance(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_account(edge)

        response = save(browser, "points", "")

        assert response.status_code == 422
        error = page(response).select_one("#money-default_stop_distance-error")
        assert error is not None
        assert text_of(error) == "Enter a number"
        assert edge.received("PATCH", ACCOUNT) == []

    def test_core_s_refusal_is_shown_next_to_the_distance_and_the_typed_rule_kept(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_account(edge)
        refused = ProblemField(
            location="body.default_stop.distance", message="a percent must be below 100"
        )
        edge.refuse(
            "PATCH", ACCOUNT, Problem(title="Invalid request", status=422, errors=[refused])
        )

        response = save(browser, "percent", "100")

        assert response.status_code == 422
        soup = page(response)
        error = soup.select_one("#money-default_stop_distance-error")
        assert error is not None
        assert text_of(error) == "a percent must be below 100"
        chosen = soup.select_one("#money-default_stop_kind option[selected]")
        assert chosen is not None
        assert chosen["value"] == "percent"


class TestPositionStop:
    def serve(self, edge: StubEdge, **fields: Any) -> str:
        return f"/positions/{serve_position(edge, **fields)}"

    def test_a_stop_the_trader_set_says_so(self, browser: httpx.Client, edge: StubEdge) -> None:
        soup = page(browser.get(self.serve(edge)))

        assert text_of(by_testid(soup, "position-stop")) == "Initial stop 186.25 set by you"

    def test_a_stop_from_the_account_s_rule_says_so_beside_its_r(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        url = self.serve(
            edge, initial_stop=Decimal("185.25"), stop_source="default_rule", playbook=None
        )

        soup = page(browser.get(url))

        assert text_of(by_testid(soup, "position-stop-source")) == (
            "from the account's default rule"
        )
        assert "1.83R" in text_of(by_testid(soup, "position-r"))

    def test_a_stop_from_the_playbook_s_rule_names_the_playbook(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        ruled = a_playbook(default_stop=DefaultStop(kind="percent", distance=Decimal("0.5")))
        plain = a_playbook("Pullback")
        sources = []
        for playbook in (ruled, plain):
            edge.answer("GET", f"/api/v1/playbooks/{playbook.id}", playbook)
            url = self.serve(edge, stop_source="default_rule", playbook=following(playbook))
            sources.append(text_of(by_testid(page(browser.get(url)), "position-stop-source")))

        assert sources == ["from the playbook's default rule", "from the account's default rule"]

    def test_without_a_stop_there_is_neither_stop_nor_r(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        soup = page(
            browser.get(self.serve(edge, initial_stop=None, stop_source=None, r_multiple=None))
        )

        assert soup.select_one("[data-testid=position-stop]") is None
        assert soup.select_one("[data-testid=position-r]") is None


class TestPlaybookRule:
    def test_a_new_playbook_is_sent_with_its_rule(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/playbooks", a_playbook(), status=201)
        form = {"name": "ORB", "criterion_id": "", "criterion": "Above VWAP"}
        form |= {"default_stop_kind": "ticks", "default_stop_distance": "6"}

        response = browser.post("/playbooks", data=form, headers=HTMX)

        assert response.status_code == 204
        [call] = edge.received("POST", "/api/v1/playbooks")
        assert json.loads(call.body)["default_stop"] == {"kind": "ticks", "distance": "6"}

    def test_the_edit_form_shows_the_rule_and_no_kind_clears_it(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        orb = a_playbook(default_stop=DefaultStop(kind="points", distance=Decimal("0.75")))
        edge.answer("GET", f"/api/v1/playbooks/{orb.id}", orb)
        edge.answer("PATCH", f"/api/v1/playbooks/{orb.id}", orb)

        soup = page(browser.get(f"/playbooks/{orb.id}"))
        browser.post(
            f"/playbooks/{orb.id}",
            data={"name": orb.name, "default_stop_kind": "", "default_stop_distance": "0.75"},
            headers=HTMX,
        )

        chosen = soup.select_one(f"#playbook-{orb.id}-default_stop_kind option[selected]")
        assert chosen is not None
        assert chosen["value"] == "points"
        distance = soup.select_one(f"#playbook-{orb.id}-default_stop_distance")
        assert distance is not None
        assert distance["value"] == "0.75"
        [call] = edge.received("PATCH", f"/api/v1/playbooks/{orb.id}")
        assert json.loads(call.body)["default_stop"] is None

    def test_core_s_refusal_is_shown_next_to_the_distance(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        refused = ProblemField(
            location="body.default_stop.distance", message="a percent must be below 100"
        )
        edge.refuse(
            "POST",
            "/api/v1/playbooks",
            Problem(title="Invalid request", status=422, errors=[refused]),
        )
        form = {"name": "ORB", "default_stop_kind": "percent", "default_stop_distance": "120"}

        response = browser.post("/playbooks", data=form, headers=HTMX)

        assert response.status_code == 422
        error = page(response).select_one("#playbook-new-default_stop_distance-error")
        assert error is not None
        assert text_of(error) == "a percent must be below 100"
