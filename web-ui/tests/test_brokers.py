import json
import uuid

import httpx
from tradeloop_contracts import Problem, ProblemField

from tests.conftest import HTMX, NONCE
from tests.factories import ACCOUNT_ID, a_broker_connection, a_broker_connection_list
from tests.html import all_by_testid, by_testid, csp_violations, page, text_of
from tests.stub_edge import StubEdge

KEY_ID = "PKTESTKEYID0000000001"
SECRET = "s3cr3t-alpaca-key-never-shown"
FORM = {
    "label": "Alpaca paper",
    "account_id": str(ACCOUNT_ID),
    "environment": "paper",
    "api_key_id": KEY_ID,
    "api_secret": SECRET,
}


def serve_connections(edge: StubEdge, *connections: object) -> None:
    edge.answer("GET", "/api/v1/broker-connections", a_broker_connection_list(*connections))  # type: ignore[arg-type]


class TestBrokerConnectionsPage:
    def test_each_connection_shows_status_last_sync_and_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        active = a_broker_connection()
        broken = a_broker_connection(
            label="Alpaca live",
            environment="live",
            status="broken",
            status_detail="unauthorized",
            last_synced_at=None,
        )
        revoked = a_broker_connection(label="Old", status="revoked")
        serve_connections(edge, active, broken, revoked)

        soup = page(browser.get("/settings/brokers"))

        rows = [text_of(row) for row in all_by_testid(soup, "connection-row")]
        assert rows[0].startswith(
            "Alpaca paper alpaca paper Main margin Connected 2026-03-02 16:45 UTC"
            " 2026-03-02 14:30 UTC"
        )
        assert "Needs attention (unauthorized) not yet" in rows[1]
        assert "Disconnected" in rows[2]
        buttons = all_by_testid(soup, "disconnect")
        assert [b["hx-post"] for b in buttons] == [
            f"/settings/brokers/{active.id}/disconnect",
            f"/settings/brokers/{broken.id}/disconnect",
        ]
        secret_inputs = soup.select('input[type="password"]')
        assert [i["name"] for i in secret_inputs] == ["api_key_id", "api_secret"]
        assert all(not i.has_attr("value") for i in secret_inputs)
        assert csp_violations(soup, NONCE) == []

    def test_without_connections_the_page_says_so(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_connections(edge)

        soup = page(browser.get("/settings/brokers"))

        assert "No broker connected" in text_of(by_testid(soup, "connections-empty"))

    def test_settings_links_to_the_page(self, browser: httpx.Client, edge: StubEdge) -> None:
        edge.answer("GET", "/api/v1/api-tokens", b'{"items": []}')

        soup = page(browser.get("/settings"))

        assert by_testid(soup, "brokers-link")["href"] == "/settings/brokers"


class TestConnecting:
    def test_the_key_pair_goes_to_edge_once_and_is_never_shown_back(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        created = a_broker_connection(last_synced_at=None)
        serve_connections(edge)
        edge.answer("POST", "/api/v1/broker-connections", created, status=201)

        response = browser.post("/settings/brokers", data=FORM, headers=HTMX)

        assert response.status_code == 201
        soup = page(response)
        assert "Connected Alpaca paper" in text_of(by_testid(soup, "broker-notice"))
        assert text_of(all_by_testid(soup, "connection-row")[0]).startswith("Alpaca paper")
        assert SECRET not in response.text
        assert KEY_ID not in response.text
        [call] = edge.received("POST", "/api/v1/broker-connections")
        assert json.loads(call.body) == {
            "broker": "alpaca",
            "environment": "paper",
            "label": "Alpaca paper",
            "account_id": str(ACCOUNT_ID),
            "api_key_id": KEY_ID,
            "api_secret": SECRET,
            "oauth_code": None,
        }

    def test_a_refusal_keeps_the_name_but_never_the_keys(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_connections(edge)
        edge.refuse(
            "POST",
            "/api/v1/broker-connections",
            Problem(
                title="Broker refused the keys",
                status=422,
                errors=[
                    ProblemField(
                        location="body.api_secret", message="Alpaca did not accept this key pair"
                    )
                ],
            ),
        )

        response = browser.post("/settings/brokers", data=FORM, headers=HTMX)

        assert response.status_code == 422
        soup = page(response)
        secret = soup.select_one("#broker-api_secret")
        assert secret is not None
        assert secret["aria-invalid"] == "true"
        assert "Alpaca did not accept this key pair" in text_of(by_testid(soup, "connect-form"))
        assert soup.select_one("#broker-label")["value"] == "Alpaca paper"  # type: ignore[index]
        assert SECRET not in response.text
        assert KEY_ID not in response.text

    def test_a_missing_key_is_refused_without_asking_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_connections(edge)

        response = browser.post(
            "/settings/brokers", data={**FORM, "api_secret": "  ", "label": ""}, headers=HTMX
        )

        assert response.status_code == 422
        form = by_testid(page(response), "connect-form")
        assert "This field is required" in text_of(form)
        assert form.select_one("#broker-api_secret-error") is not None
        assert form.select_one("#broker-label-error") is not None
        assert edge.received("POST", "/api/v1/broker-connections") == []
        assert KEY_ID not in response.text

    def test_an_unknown_environment_is_refused(self, browser: httpx.Client, edge: StubEdge) -> None:
        serve_connections(edge)

        response = browser.post(
            "/settings/brokers", data={**FORM, "environment": "prod"}, headers=HTMX
        )

        assert response.status_code == 422
        assert edge.received("POST", "/api/v1/broker-connections") == []

    def test_an_unreachable_edge_says_nothing_was_connected(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_connections(edge)
        edge.refuse("POST", "/api/v1/broker-connections", Problem(title="Down", status=503))

        response = browser.post("/settings/brokers", data=FORM, headers=HTMX)

        assert response.status_code == 502
        assert "Not connected" in text_of(by_testid(page(response), "broker-errors"))
        assert SECRET not in response.text


class TestDisconnecting:
    def test_disconnect_deletes_the_connection_through_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        connection = a_broker_connection()
        serve_connections(edge, connection.model_copy(update={"status": "revoked"}))
        edge.answer("DELETE", f"/api/v1/broker-connections/{connection.id}", status=204)

        response = browser.post(f"/settings/brokers/{connection.id}/disconnect", headers=HTMX)

        assert response.status_code == 200
        soup = page(response)
        assert "Disconnected." in text_of(by_testid(soup, "broker-notice"))
        assert all_by_testid(soup, "disconnect") == []
        [call] = edge.received("DELETE", f"/api/v1/broker-connections/{connection.id}")
        assert call.headers["idempotency-key"]

    def test_another_traders_connection_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        foreign = uuid.uuid4()

        response = browser.post(f"/settings/brokers/{foreign}/disconnect", headers=HTMX)

        assert response.status_code == 404
        assert len(edge.received("DELETE", f"/api/v1/broker-connections/{foreign}")) == 1
