import json

import httpx
from tradeloop_contracts import PlaybookList, Problem, ProblemField

from tests.conftest import HTMX
from tests.factories import a_playbook, a_position, a_position_page, an_analytics, following
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge


def serve_playbooks(edge: StubEdge) -> tuple[str, str]:
    orb = a_playbook()
    old = a_playbook("Fade the gap", "Gap over 2%", archived=True, positions=3, adherence_rate=None)
    edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[orb, old]))
    edge.answer(
        "GET",
        "/api/v1/coach/analytics",
        an_analytics("playbook", ("(no playbook)", 2, "-40.10"), (orb.name, 12, "1840.50")),
        when={"group_by": "playbook"},
    )
    edge.answer(
        "GET",
        "/api/v1/coach/analytics",
        an_analytics(
            "criterion",
            (f"{orb.name} · Above VWAP · met", 9, "2120.00"),
            (f"{orb.name} · Above VWAP · missed", 3, "-279.50"),
        ),
        when={"group_by": "criterion"},
    )
    return str(orb.id), str(old.id)


class TestPlaybooksPage:
    def test_lists_positions_adherence_and_net_pnl_with_the_stats(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        orb, old = serve_playbooks(edge)

        soup = page(browser.get("/playbooks"))

        rows = all_by_testid(soup, "playbook-row")
        assert [row["data-playbook-id"] for row in rows] == [orb, old]
        assert text_of(rows[0]).split()[:4] == ["Opening", "range", "breakout", "3"]
        assert text_of(by_testid(rows[0], "playbook-adherence")) == "75.0%"
        assert text_of(by_testid(rows[0], "playbook-net")) == "+1,840.50 USD"
        assert text_of(by_testid(rows[1], "playbook-net")) == "—"
        assert "Archived" in text_of(rows[1])
        by_playbook = [text_of(row) for row in all_by_testid(soup, "by-playbook-row")]
        assert by_playbook[0].startswith("(no playbook) 2 -40.10")
        criteria = [text_of(row) for row in all_by_testid(soup, "by-criterion-row")]
        assert criteria[1].startswith("Opening range breakout · Above VWAP · missed 3 -279.50")

    def test_the_page_stands_without_the_coach(self, browser: httpx.Client, edge: StubEdge) -> None:
        edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[a_playbook()]))
        edge.refuse("GET", "/api/v1/coach/analytics", Problem(title="Down", status=503))

        soup = page(browser.get("/playbooks"))

        assert by_testid(soup, "by-playbook-unavailable") is not None
        assert text_of(by_testid(soup, "playbook-net")) == "—"

    def test_a_new_playbook_is_sent_with_its_criteria_in_order(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/playbooks", a_playbook(), status=201)

        response = browser.post(
            "/playbooks",
            data={
                "name": " ORB ",
                "description": "",
                "criterion_id": ["", "", "", ""],
                "criterion": ["Above VWAP", " ", "Volume over 2x ", ""],
            },
            headers=HTMX,
        )

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/playbooks"
        [call] = edge.received("POST", "/api/v1/playbooks")
        assert json.loads(call.body) == {
            "name": "ORB",
            "description": None,
            "criteria": [
                {"id": None, "text": "Above VWAP"},
                {"id": None, "text": "Volume over 2x"},
            ],
            "default_stop": None,
        }

    def test_an_edit_keeps_the_ids_of_kept_criteria_and_drops_emptied_ones(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        orb = a_playbook()
        vwap, volume, stop = (str(item.id) for item in orb.criteria)
        edge.answer("GET", f"/api/v1/playbooks/{orb.id}", orb)
        edge.answer("PATCH", f"/api/v1/playbooks/{orb.id}", orb)

        browser.post(
            f"/playbooks/{orb.id}",
            data={
                "name": orb.name,
                "description": "Long only.",
                "criterion_id": [vwap, volume, stop, ""],
                "criterion": ["Above VWAP", "", "Stop under the range", "Market trending up"],
            },
            headers=HTMX,
        )

        [call] = edge.received("PATCH", f"/api/v1/playbooks/{orb.id}")
        assert json.loads(call.body)["criteria"] == [
            {"id": vwap, "text": "Above VWAP"},
            {"id": stop, "text": "Stop under the range"},
            {"id": None, "text": "Market trending up"},
        ]

    def test_a_refusal_is_shown_by_its_field_with_the_typed_text_kept(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        problem = Problem(
            title="Playbook exists",
            status=409,
            errors=[
                ProblemField(
                    location="body.name", message="the trader already has a playbook of this name"
                )
            ],
        )
        edge.refuse("POST", "/api/v1/playbooks", problem)

        response = browser.post(
            "/playbooks",
            data={"name": "ORB", "criterion_id": "", "criterion": "Above VWAP"},
            headers=HTMX,
        )

        assert response.status_code == 409
        soup = page(response)
        assert "already has a playbook of this name" in text_of(soup.select(".field-error")[0])
        assert [field["value"] for field in all_by_testid(soup, "criterion-input")][:2] == [
            "Above VWAP",
            "",
        ]

    def test_archiving_and_deleting(self, browser: httpx.Client, edge: StubEdge) -> None:
        orb = a_playbook()
        edge.answer("PATCH", f"/api/v1/playbooks/{orb.id}", orb)
        edge.answer("DELETE", f"/api/v1/playbooks/{orb.id}", status=204)

        archived = browser.post(
            f"/playbooks/{orb.id}/archive", data={"archived": "true"}, headers=HTMX
        )
        deleted = browser.post(f"/playbooks/{orb.id}/delete", headers=HTMX)

        assert archived.headers["hx-redirect"] == deleted.headers["hx-redirect"] == "/playbooks"
        [call] = edge.received("PATCH", f"/api/v1/playbooks/{orb.id}")
        assert json.loads(call.body) == {"archived": True}
        assert len(edge.received("DELETE", f"/api/v1/playbooks/{orb.id}")) == 1


class TestPositionChecklist:
    def test_shows_the_followed_playbook_with_its_met_criteria_ticked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        orb = a_playbook()
        old = a_playbook("Fade the gap", "Gap over 2%", archived=True)
        position = a_position(playbook=following(orb, "Above VWAP"))
        edge.answer("GET", f"/api/v1/positions/{position.id}", position)
        edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[orb, old]))

        soup = page(browser.get(f"/positions/{position.id}/playbook", headers=HTMX))

        assert "1 of 3 criteria met (33.3%)" in text_of(by_testid(soup, "playbook-followed"))
        options = [option.text for option in soup.find_all("option")]
        assert options == ["No playbook", "Opening range breakout"]  # archived ones are hidden
        boxes = all_by_testid(soup, "criterion-box")
        assert [box.has_attr("checked") for box in boxes] == [True, False, False]

    def test_choosing_another_playbook_offers_its_criteria_unticked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        orb, pullback = a_playbook(), a_playbook("Pullback", "Higher low")
        position = a_position(playbook=following(orb, "Above VWAP"))
        edge.answer("GET", f"/api/v1/positions/{position.id}", position)
        edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[orb, pullback]))

        soup = page(
            browser.get(
                f"/positions/{position.id}/playbook",
                params={"playbook_id": str(pullback.id)},
                headers=HTMX,
            )
        )

        boxes = all_by_testid(soup, "criterion-box")
        assert [box["value"] for box in boxes] == [str(pullback.criteria[0].id)]
        assert not boxes[0].has_attr("checked")

    def test_saving_sends_the_playbook_and_the_ticked_criteria(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        orb = a_playbook()
        vwap, _, stop = orb.criteria
        saved = a_position(playbook=following(orb, "Above VWAP", "Stop below the range"))
        edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[orb]))
        edge.answer("PUT", f"/api/v1/positions/{saved.id}/playbook", saved)

        response = browser.post(
            f"/positions/{saved.id}/playbook",
            data={"playbook_id": str(orb.id), "criteria_met": [str(vwap.id), str(stop.id)]},
            headers=HTMX,
        )

        assert response.status_code == 200
        [call] = edge.received("PUT", f"/api/v1/positions/{saved.id}/playbook")
        assert json.loads(call.body) == {
            "playbook_id": str(orb.id),
            "criteria_met": [str(vwap.id), str(stop.id)],
        }
        soup = page(response)
        assert text_of(by_testid(soup, "playbook-notice")) == "Saved under Opening range breakout."
        assert "2 of 3 criteria met" in text_of(by_testid(soup, "playbook-followed"))

    def test_no_playbook_clears_it(self, browser: httpx.Client, edge: StubEdge) -> None:
        cleared = a_position()
        edge.answer("PUT", f"/api/v1/positions/{cleared.id}/playbook", cleared)

        response = browser.post(
            f"/positions/{cleared.id}/playbook", data={"playbook_id": ""}, headers=HTMX
        )

        [call] = edge.received("PUT", f"/api/v1/positions/{cleared.id}/playbook")
        assert json.loads(call.body) == {"playbook_id": None, "criteria_met": []}
        assert text_of(by_testid(page(response), "playbook-notice")) == "No playbook."


class TestTradesFilter:
    def test_the_trades_page_filters_by_playbook(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        orb = a_playbook()
        edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[orb]))
        edge.answer("GET", "/api/v1/positions", a_position_page())

        soup = page(browser.get("/trades", params={"playbook_id": str(orb.id)}))

        [call] = edge.received("GET", "/api/v1/positions")
        assert call.query["playbook_id"] == str(orb.id)
        selected = soup.select_one('select[name="playbook_id"] option[selected]')
        assert selected is not None
        assert selected["value"] == str(orb.id)
