import json
import uuid

import httpx
from bs4 import BeautifulSoup, Tag

from tests.conftest import HTMX, NONCE
from tests.factories import (
    ACCOUNT_ID,
    a_csv_preview,
    a_saved_mapping,
    a_saved_mapping_list,
    an_import,
    an_import_page,
)
from tests.html import by_testid, csp_violations, page, text_of
from tests.stub_edge import StubEdge

NEEDS_MAPPING = "needs_mapping: choose which column holds each field, then resubmit the import"


def serve_waiting_import(edge: StubEdge, *saved: object, **preview: object) -> uuid.UUID:
    job = an_import(status="failed", error=NEEDS_MAPPING, detected_format="generic_csv")
    edge.answer("GET", f"/api/v1/imports/{job.id}", job)
    edge.answer("GET", f"/api/v1/imports/{job.id}/preview", a_csv_preview(**preview))
    edge.answer("GET", "/api/v1/column-mappings", a_saved_mapping_list(*saved))  # type: ignore[arg-type]
    return job.id


def chosen(soup: BeautifulSoup, field: str) -> str:
    select = soup.select_one(f"#column-{field}")
    assert isinstance(select, Tag)
    option = select.select_one("option[selected]")
    return str(option["value"]) if option else ""


class TestMappingStep:
    def test_the_first_rows_and_the_guessed_columns_are_shown(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        import_id = serve_waiting_import(edge)

        soup = page(browser.get(f"/imports/{import_id}/mapping"))

        preview = by_testid(soup, "csv-preview")
        assert [text_of(th) for th in preview.select("thead th")] == [
            "Datum",
            "Wert",
            "Stk",
            "Kurs",
            "Gebühr",
        ]
        assert text_of(preview.select("tbody tr")[0]) == "03.02.2026 15:31 AAPL 100 187,25 1,00"
        assert [chosen(soup, f) for f in ("datetime", "symbol", "quantity", "price", "fees")] == [
            "Datum",
            "Wert",
            "Stk",
            "Kurs",
            "",
        ]
        assert "90.0% confidence" in text_of(by_testid(soup, "mapping-form"))
        [call] = edge.received("GET", "/api/v1/column-mappings")
        assert call.query == {"account_id": str(ACCOUNT_ID)}
        assert csp_violations(soup, NONCE) == []

    def test_a_saved_mapping_whose_columns_match_is_applied(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        saved = a_saved_mapping()
        import_id = serve_waiting_import(edge, saved, saved_mapping_id=saved.id)

        soup = page(browser.get(f"/imports/{import_id}/mapping"))

        assert chosen(soup, "fees") == "Gebühr"
        for flag in ("day_first", "decimal_comma"):
            box = soup.select_one(f'input[name="{flag}"]')
            assert box is not None
            assert box.has_attr("checked")
        date_format = soup.select_one("#mapping-date_format")
        assert date_format is not None
        assert date_format["value"] == "%d.%m.%Y %H:%M"
        link = by_testid(soup, "saved-mappings").select_one("a[aria-current]")
        assert link is not None
        assert text_of(link) == "Comdirect export"

    def test_a_chosen_saved_mapping_fills_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        saved = a_saved_mapping()
        import_id = serve_waiting_import(edge, saved)

        soup = page(browser.get(f"/imports/{import_id}/mapping?mapping_id={saved.id}"))

        assert chosen(soup, "fees") == "Gebühr"


class TestResubmission:
    def test_the_mapping_is_sent_and_the_browser_goes_back_to_the_imports(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        import_id = serve_waiting_import(edge)
        edge.answer(
            "POST",
            f"/api/v1/imports/{import_id}/mapping",
            an_import(id=import_id, status="queued", finished_at=None, counts={}),
            status=202,
        )

        response = browser.post(
            f"/imports/{import_id}/mapping",
            data={
                "column-datetime": "Datum",
                "column-symbol": "Wert",
                "column-quantity": "Stk",
                "column-price": "Kurs",
                "column-fees": "",
                "decimal_comma": "yes",
                "day_first": "yes",
                "date_format": "%d.%m.%Y %H:%M",
                "time_zone": "",
            },
            headers=HTMX,
        )

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/imports"
        [call] = edge.received("POST", f"/api/v1/imports/{import_id}/mapping")
        assert json.loads(call.body) == {
            "columns": {"datetime": "Datum", "symbol": "Wert", "quantity": "Stk", "price": "Kurs"},
            "delimiter": None,
            "date_format": "%d.%m.%Y %H:%M",
            "day_first": True,
            "decimal_comma": True,
            "currency_symbols": False,
            "parentheses_negative": False,
            "time_zone": None,
        }
        assert edge.received("POST", "/api/v1/column-mappings") == []

    def test_a_name_saves_the_mapping_for_the_account_first(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        import_id = serve_waiting_import(edge)
        edge.answer("POST", "/api/v1/column-mappings", a_saved_mapping(), status=201)
        edge.answer(
            "POST", f"/api/v1/imports/{import_id}/mapping", an_import(id=import_id), status=202
        )

        browser.post(
            f"/imports/{import_id}/mapping",
            data={
                "column-date": "Datum",
                "column-symbol": "Wert",
                "column-quantity": "Stk",
                "column-price": "Kurs",
                "name": "Comdirect export",
            },
            headers=HTMX,
        )

        [saved] = edge.received("POST", "/api/v1/column-mappings")
        body = json.loads(saved.body)
        assert (body["account_id"], body["name"]) == (str(ACCOUNT_ID), "Comdirect export")
        assert body["mapping"]["columns"]["date"] == "Datum"
        assert len(edge.received("POST", f"/api/v1/imports/{import_id}/mapping")) == 1

    def test_a_mapping_without_the_needed_columns_is_refused_and_kept(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        import_id = serve_waiting_import(edge)

        response = browser.post(
            f"/imports/{import_id}/mapping",
            data={"column-datetime": "Datum", "column-price": "Kurs"},
            headers=HTMX,
        )

        assert response.status_code == 422
        soup = page(response)
        assert "needs columns for symbol, quantity" in text_of(by_testid(soup, "mapping-form"))
        assert chosen(soup, "price") == "Kurs"
        assert edge.received("POST", f"/api/v1/imports/{import_id}/mapping") == []


class TestWaitingImportsAreMarked:
    def test_the_history_links_a_waiting_import_to_its_mapping_step(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        waiting = an_import(status="failed", error=NEEDS_MAPPING)
        edge.answer("GET", "/api/v1/imports", an_import_page(waiting, an_import()))

        soup = page(browser.get("/imports"))

        link = by_testid(soup, "choose-columns")
        assert link["href"] == f"/imports/{waiting.id}/mapping"
        assert len(soup.select('[data-testid="choose-columns"]')) == 1
