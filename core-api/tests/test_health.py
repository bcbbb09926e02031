from __future__ import annotations

from fastapi.testclient import TestClient


class TestHealth:
    def test_healthz_answers_while_the_process_runs(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}

    def test_readyz_answers_when_the_database_does(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready"}


class TestProblems:
    def test_an_unknown_route_is_a_404_problem(self, client: TestClient) -> None:
        response = client.get("/v1/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Not Found"

    def test_invalid_body_names_each_bad_field(self, client: TestClient) -> None:
        response = client.post("/v1/auth/signup", json={"email": "not-an-email", "password": "x"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        locations = {error["location"] for error in response.json()["errors"]}
        assert locations == {"body.email", "body.password"}

    def test_unknown_fields_are_refused_with_their_location(self, client: TestClient) -> None:
        response = client.post(
            "/v1/auth/login", json={"email": "a@b.co", "password": "x", "remember": True}
        )
        assert response.status_code == 422
        assert [error["location"] for error in response.json()["errors"]] == ["body.remember"]


class TestOpenApi:
    def test_the_schema_describes_every_route_group(self, client: TestClient) -> None:
        schema = client.get("/openapi.json").json()
        upload = schema["paths"]["/v1/imports"]["post"]["requestBody"]["content"]
        assert set(upload["multipart/form-data"]["schema"]["required"]) == {"file", "account_id"}
        assert {"/internal/outbox/claim", "/v1/statistics", "/.well-known/jwks.json"} <= set(
            schema["paths"]
        )
