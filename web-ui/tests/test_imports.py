import uuid

import httpx
import pytest
from tradeloop_contracts import ImportUndo, Problem, ProblemField, RejectedRow

from tests.conftest import CSRF_TOKEN, HTMX, SESSION_COOKIE
from tests.factories import (
    ACCOUNT_ID,
    a_saved_mapping,
    a_saved_mapping_list,
    an_account,
    an_account_list,
    an_import,
    an_import_page,
)
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge


def upload_request(browser: httpx.Client, content: bytes) -> httpx.Request:
    request = browser.build_request(
        "POST",
        "/imports",
        files={"file": ("flex.csv", content, "text/csv")},
        data={"account_id": str(ACCOUNT_ID), "format": "auto", "mode": "valid_only"},
        headers=HTMX,
    )
    request.read()
    return request


class TestSavedMappingChoice:
    def test_the_form_loads_the_chosen_accounts_mappings_and_reloads_them_on_a_change(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/imports", an_import_page())

        soup = page(browser.get("/imports"))

        choice = by_testid(soup, "import-mapping-choice")
        assert choice["hx-get"] == "/imports/mappings"
        assert choice["hx-include"] == "#import-account"
        assert choice["hx-trigger"] == "load, change from:#import-account"
        assert choice["hx-target"] == "this"
        assert soup.select_one('script[src="/static/import_form.js"]') is not None

    def test_the_choice_offers_none_first_then_each_saved_mapping_of_the_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        other_account = uuid.uuid4()
        comdirect = a_saved_mapping(account_id=other_account)
        degiro = a_saved_mapping(account_id=other_account, name="Degiro")
        edge.answer(
            "GET",
            "/api/v1/column-mappings",
            a_saved_mapping_list(comdirect, degiro),
            when={"account_id": str(other_account)},
        )

        soup = page(
            browser.get(
                "/imports/mappings", params={"account_id": str(other_account)}, headers=HTMX
            )
        )

        options = soup.select("select[name=mapping_id] option")
        assert [(option["value"], text_of(option)) for option in options] == [
            ("", "none: guess the columns"),
            (str(comdirect.id), "Comdirect export"),
            (str(degiro.id), "Degiro"),
        ]
        assert options[0].has_attr("selected")
        assert edge.received("GET", "/api/v1/column-mappings")[0].query == {
            "account_id": str(other_account)
        }

    def test_an_account_without_saved_mappings_offers_no_choice(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/column-mappings", a_saved_mapping_list())

        soup = page(
            browser.get("/imports/mappings", params={"account_id": str(ACCOUNT_ID)}, headers=HTMX)
        )

        assert soup.select("select") == []
        assert "No saved column mappings" in text_of(by_testid(soup, "no-saved-mappings"))

    def test_a_malformed_account_is_refused_before_edge_is_asked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get("/imports/mappings", params={"account_id": "x"}, headers=HTMX)

        assert response.status_code == 422
        assert edge.received("GET", "/api/v1/column-mappings") == []


class TestImportsPage:
    def test_the_upload_form_offers_the_traders_accounts_and_automatic_format(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer(
            "GET",
            "/api/v1/accounts",
            an_account_list(an_account(), an_account(id=uuid.uuid4(), name="Futures")),
        )
        edge.answer("GET", "/api/v1/imports", an_import_page())

        soup = page(browser.get("/imports"))

        form = by_testid(soup, "import-form")
        assert form["hx-encoding"] == "multipart/form-data"
        accounts = [text_of(option) for option in form.select("select[name=account_id] option")]
        assert accounts == ["Main margin (ibkr ••••1234)", "Futures (ibkr ••••1234)"]
        selected = form.select_one("select[name=format] option[selected]")
        assert selected is not None
        assert selected["value"] == "auto"
        assert form.select_one("input[type=file][name=file]") is not None
        zone = form.select_one("input[name=time_zone]")
        assert zone is not None
        assert zone.get("value") is None
        zones = [option["value"] for option in soup.select(f"datalist#{zone['list']} option")]
        assert {"UTC", "America/New_York", "Asia/Tokyo"} <= set(zones)
        assert "US/Eastern" not in zones
        status = by_testid(soup, "import-status")
        assert status["aria-live"] == "polite"

    def test_the_history_lists_each_import_with_status_and_counts(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        done = an_import()
        running = an_import(filename="today.csv", status="running", counts={}, finished_at=None)
        edge.answer("GET", "/api/v1/accounts", an_account_list(an_account()))
        edge.answer("GET", "/api/v1/imports", an_import_page(running, done))

        rows = all_by_testid(page(browser.get("/imports")), "import-row")

        assert [text_of(row) for row in rows] == [
            "today.csv 2026-03-02 14:30 UTC ibkr_flex_csv running 0 0 0 Download today.csv",
            "flex-2026-03.csv 2026-03-02 14:30 UTC ibkr_flex_csv completed 40 2 1"
            " Download flex-2026-03.csv",
        ]
        assert rows[1].a is not None
        assert rows[1].a["href"] == f"/imports/{done.id}"

    def test_the_history_reloads_when_an_import_event_arrives(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/accounts", an_account_list(an_account()))
        edge.answer("GET", "/api/v1/imports", an_import_page(an_import()))

        history = page(browser.get("/imports")).select_one("#import-history")

        assert history is not None
        assert history["hx-get"] == "/imports/history"
        assert "tl-import from:body" in str(history["hx-trigger"])

    def test_the_history_fragment_is_only_the_table(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/imports", an_import_page(an_import()))

        response = browser.get("/imports/history", headers=HTMX)

        assert "<html" not in response.text
        assert len(all_by_testid(page(response), "import-row")) == 1


class TestUpload:
    def test_the_upload_is_passed_on_to_edge_byte_for_byte(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        queued = an_import(status="queued", counts={}, finished_at=None, detected_format=None)
        edge.answer("POST", "/api/v1/imports", queued, status=202)
        content = b"Symbol,Quantity,Price\n" + b"AAPL,100,187.25\n" * 200_000
        request = upload_request(browser, content)

        response = browser.send(request)

        assert response.status_code == 202
        [call] = edge.received("POST", "/api/v1/imports")
        assert call.body == request.content
        assert call.headers["content-type"] == request.headers["content-type"]
        assert call.headers["cookie"] == SESSION_COOKIE
        assert call.headers["x-csrf-token"] == CSRF_TOKEN

    def test_the_queued_import_appears_with_a_progress_bar_and_reloads_the_history(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        queued = an_import(status="queued", counts={}, finished_at=None)
        edge.answer("POST", "/api/v1/imports", queued, status=202)

        response = browser.send(upload_request(browser, b"a,b\n1,2\n"))

        assert response.headers["hx-trigger"] == "tl-import"
        soup = page(response)
        progress = soup.select_one("progress.import-progress")
        assert progress is not None
        assert progress["data-import-id"] == str(queued.id)
        assert "queued" in text_of(soup)

    def test_an_upload_edge_refuses_names_what_is_wrong(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        refusal = Problem(
            title="Unprocessable Content",
            status=422,
            detail="The upload is not valid.",
            errors=[ProblemField(location="account_id", message="No such account")],
        )
        edge.refuse("POST", "/api/v1/imports", refusal)

        response = browser.send(upload_request(browser, b"a,b\n"))

        assert response.status_code == 422
        problem = text_of(by_testid(page(response), "problem"))
        assert "account_id : No such account" in problem


class TestImportReport:
    def test_every_rejected_row_is_listed_with_file_line_field_and_reason(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        rows = [
            RejectedRow(file="flex.csv", line=12, field="Price", reason="not a number: 'n/a'"),
            RejectedRow(file="flex.csv", line=40, field=None, reason="duplicate header row"),
        ]
        job = an_import(
            counts={"new": 3, "duplicate": 0, "rejected": 2},
            rejected_rows=rows,
            time_zone="America/Chicago",
        )
        edge.answer("GET", f"/api/v1/imports/{job.id}", job)

        soup = page(browser.get(f"/imports/{job.id}"))

        listed = [text_of(row) for row in all_by_testid(soup, "rejected-row")]
        assert listed == [
            "flex.csv 12 Price not a number: 'n/a'",
            "flex.csv 40 — duplicate header row",
        ]
        assert "times without an offset read in America/Chicago" in text_of(soup)
        counts = text_of(by_testid(soup, "import-counts"))
        assert "Rejected rows 2" in counts
        assert "New executions 3" in counts

    def test_a_finished_import_status_links_to_its_report(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        edge.answer("GET", f"/api/v1/imports/{job.id}", job)

        soup = page(browser.get(f"/imports/{job.id}/status", headers=HTMX))

        assert soup.select_one("progress") is None
        assert "40 new, 2 already held, 1 rejected" in text_of(soup)


class TestUploadedFile:
    def test_the_file_is_relayed_byte_for_byte_as_a_download(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        # Larger than any one chunk, with bytes no text encoding would keep.
        content = bytes(range(256)) * 12_000
        edge.answer(
            "GET",
            f"/api/v1/imports/{job.id}/raw",
            content,
            content_type="application/octet-stream",
            headers={
                "content-disposition": 'attachment; filename="flex-2026-03.csv"',
                "set-cookie": "edge=private",
            },
        )

        response = browser.get(f"/imports/{job.id}/raw")

        assert response.status_code == 200
        assert response.content == content
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"] == 'attachment; filename="flex-2026-03.csv"'
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "private, no-store"
        assert "set-cookie" not in response.headers
        [call] = edge.received("GET", f"/api/v1/imports/{job.id}/raw")
        assert call.headers["cookie"] == SESSION_COOKIE

    def test_a_file_edge_would_show_inline_is_still_a_download(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        edge.answer(
            "GET",
            f"/api/v1/imports/{job.id}/raw",
            b"<script>alert(1)</script>",
            content_type="text/html",
            headers={"content-disposition": "inline"},
        )

        response = browser.get(f"/imports/{job.id}/raw")

        assert response.headers["content-disposition"] == "attachment"
        assert response.headers["content-type"] == "application/octet-stream"

    @pytest.mark.usefixtures("edge")
    def test_another_traders_import_is_not_found(self, browser: httpx.Client) -> None:
        response = browser.get(f"/imports/{uuid.uuid4()}/raw")

        assert response.status_code == 404
        assert "Not found" in text_of(page(response))

    def test_edge_failing_is_the_unavailable_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        edge.refuse("GET", f"/api/v1/imports/{job.id}/raw", Problem(title="Down", status=503))

        response = browser.get(f"/imports/{job.id}/raw")

        assert response.status_code == 502
        assert "flex" not in response.text

    def test_a_signed_out_browser_is_sent_to_log_in(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        edge.refuse(
            "GET", f"/api/v1/imports/{job.id}/raw", Problem(title="Unauthorized", status=401)
        )

        response = browser.get(f"/imports/{job.id}/raw")

        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    def test_the_history_and_the_report_link_to_the_file(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        edge.answer("GET", "/api/v1/imports", an_import_page(job))
        edge.answer("GET", f"/api/v1/imports/{job.id}", job)

        history = page(browser.get("/imports/history", headers=HTMX))
        report = page(browser.get(f"/imports/{job.id}"))

        for soup in (history, report):
            link = by_testid(soup, "raw-file")
            assert link["href"] == f"/imports/{job.id}/raw"
            assert link.has_attr("download")
        assert text_of(by_testid(history, "raw-file")) == "Download flex-2026-03.csv"


class TestUndo:
    def test_the_report_of_a_finished_import_offers_undo_and_an_undone_one_says_so(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        finished = an_import()
        undone = an_import(undone_at="2026-03-04T15:00:00Z")
        running = an_import(status="running", finished_at=None)
        for job in (finished, undone, running):
            edge.answer("GET", f"/api/v1/imports/{job.id}", job)

        offered = page(browser.get(f"/imports/{finished.id}"))
        marked = page(browser.get(f"/imports/{undone.id}"))
        still_running = page(browser.get(f"/imports/{running.id}"))

        assert by_testid(offered, "undo-import")["hx-get"] == f"/imports/{finished.id}/undo"
        assert not all_by_testid(marked, "undo-import")
        assert text_of(by_testid(marked, "import-undone")).startswith("Undone ")
        assert not all_by_testid(still_running, "undo-import")

    def test_the_confirmation_shows_the_dry_runs_counts(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        path = f"/api/v1/imports/{job.id}/undo"
        counts = ImportUndo(
            import_id=job.id,
            dry_run=True,
            executions_removed=38,
            executions_kept=2,
            positions_affected=11,
        )
        edge.answer("POST", path, counts, when={"dry_run": "true"})

        soup = page(browser.get(f"/imports/{job.id}/undo", headers=HTMX))

        text = text_of(by_testid(soup, "undo-confirmation"))
        assert "removes 38 executions only this import brought" in text
        assert "rebuilds 11 positions" in text
        assert "2 executions another import also brought stay" in text
        assert by_testid(soup, "undo-confirm")["hx-post"] == f"/imports/{job.id}/undo"
        [sent] = edge.received("POST", path)
        assert sent.query == {"dry_run": "true"}

    def test_confirming_undoes_and_goes_back_to_the_report(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        job = an_import()
        path = f"/api/v1/imports/{job.id}/undo"
        done = ImportUndo(
            import_id=job.id,
            dry_run=False,
            executions_removed=38,
            executions_kept=2,
            positions_affected=11,
        )
        edge.answer("POST", path, done, when={"dry_run": "false"})

        response = browser.post(f"/imports/{job.id}/undo", headers=HTMX)

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == f"/imports/{job.id}"
        [sent] = edge.received("POST", path)
        assert sent.query == {"dry_run": "false"}
        assert sent.headers["idempotency-key"]

    def test_a_refused_undo_says_why(self, browser: httpx.Client, edge: StubEdge) -> None:
        job = an_import()
        refusal = Problem(title="Conflict", status=409, detail="The import was already undone.")
        edge.refuse("POST", f"/api/v1/imports/{job.id}/undo", refusal)

        response = browser.post(f"/imports/{job.id}/undo", headers=HTMX)

        assert response.status_code == 409
        assert "The import was already undone." in text_of(by_testid(page(response), "problem"))

    def test_the_history_marks_undone_imports(self, browser: httpx.Client, edge: StubEdge) -> None:
        kept, undone = an_import(), an_import(undone_at="2026-03-04T15:00:00Z")
        edge.answer("GET", "/api/v1/imports", an_import_page(kept, undone))

        soup = page(browser.get("/imports/history", headers=HTMX))

        rows = all_by_testid(soup, "import-row")
        assert [bool(row.select('[data-testid="undone"]')) for row in rows] == [False, True]

    def test_an_undone_import_that_waited_for_its_columns_offers_no_mapping(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        needs_mapping = "needs_mapping: choose which column holds each field"
        job = an_import(status="failed", error=needs_mapping, undone_at="2026-03-04T15:00:00Z")
        edge.answer("GET", f"/api/v1/imports/{job.id}", job)
        edge.answer("GET", "/api/v1/imports", an_import_page(job))

        report = page(browser.get(f"/imports/{job.id}"))
        history = page(browser.get("/imports/history", headers=HTMX))

        assert not all_by_testid(report, "needs-mapping")
        assert not all_by_testid(history, "choose-columns")
        assert by_testid(history, "undone")
