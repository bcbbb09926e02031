from __future__ import annotations

import io
import uuid

import httpx2
import obstore
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from core_api.attachments.images import MAX_BYTES
from core_api.attachments.service import MAX_PER_OWNER
from tests.conftest import PASSWORD, Trader
from tests.positions.test_excursions import round_trip


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), "red").save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture(params=["position", "journal_entry"])
def owner_path(
    request: pytest.FixtureRequest, client: TestClient, workers: dict[str, str], trader: Trader
) -> str:
    """The path of a position or of a journal entry of `trader`."""
    if request.param == "position":
        return f"/v1/positions/{round_trip(client, workers, trader)}"
    entry = client.post(
        "/v1/journal/entries",
        json={"day": "2026-03-02", "body": "calm day"},
        headers=trader.headers,
    )
    return f"/v1/journal/entries/{entry.json()['id']}"


def upload(
    client: TestClient, trader: Trader, path: str, data: bytes, name: str = "entry.png"
) -> httpx2.Response:
    return client.post(
        f"{path}/attachments", files={"file": (name, data, "image/png")}, headers=trader.headers
    )


def stored_paths(app: FastAPI, user_id: uuid.UUID) -> list[str]:
    store = app.state.core.store
    return sorted(
        meta["path"] for chunk in obstore.list(store, f"attachments/{user_id}/") for meta in chunk
    )


class TestAttachmentRoutes:
    def test_a_picture_is_stored_listed_downloaded_and_deleted(
        self, client: TestClient, app: FastAPI, trader: Trader, owner_path: str
    ) -> None:
        response = upload(client, trader, owner_path, jpeg_with_exif(), name="../../chart.PNG")
        assert response.status_code == 201, response.text
        attachment = response.json()
        assert attachment["filename"] == "chart.jpg"
        assert attachment["content_type"] == "image/jpeg"
        assert (attachment["width"], attachment["height"]) == (30, 20)
        assert attachment["owner_id"] == owner_path.rsplit("/", 1)[1]
        listed = client.get(f"{owner_path}/attachments", headers=trader.headers).json()
        assert listed["items"] == [attachment]

        url = f"{owner_path}/attachments/{attachment['id']}"
        download = client.get(url, headers=trader.headers)
        assert download.status_code == 200
        assert download.headers["content-type"] == "image/jpeg"
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-disposition"].startswith('inline; filename="chart.jpg"')
        assert len(download.content) == attachment["size_bytes"]
        assert not Image.open(io.BytesIO(download.content)).getexif()
        again = client.get(
            url, headers={**trader.headers, "If-None-Match": download.headers["etag"]}
        )
        assert (again.status_code, again.content) == (304, b"")
        thumbnail = client.get(f"{url}/thumbnail", headers=trader.headers)
        assert thumbnail.status_code == 200
        assert thumbnail.headers["etag"] != download.headers["etag"]
        assert Image.open(io.BytesIO(thumbnail.content)).size == (30, 20)
        assert len(stored_paths(app, trader.id)) == 2

        assert client.delete(url, headers=trader.headers).status_code == 204
        assert client.get(url, headers=trader.headers).status_code == 404
        assert client.get(f"{owner_path}/attachments", headers=trader.headers).json() == {
            "items": []
        }
        assert stored_paths(app, trader.id) == []

    def test_another_traders_owner_and_attachment_are_not_found(
        self, client: TestClient, trader: Trader, other_trader: Trader, owner_path: str
    ) -> None:
        attachment = upload(client, trader, owner_path, png()).json()
        url = f"{owner_path}/attachments/{attachment['id']}"
        assert upload(client, other_trader, owner_path, png()).status_code == 404
        for path in (f"{owner_path}/attachments", url, f"{url}/thumbnail"):
            assert client.get(path, headers=other_trader.headers).status_code == 404
        assert client.delete(url, headers=other_trader.headers).status_code == 404
        assert client.get(url, headers=trader.headers).status_code == 200

    def test_files_that_are_not_accepted_pictures_are_refused_and_nothing_is_kept(
        self, client: TestClient, app: FastAPI, trader: Trader, owner_path: str
    ) -> None:
        text = upload(client, trader, owner_path, b"%PDF-1.7 not a picture", name="x.png")
        assert text.status_code == 415
        assert text.json()["errors"][0]["location"] == "form.file"
        too_large = upload(client, trader, owner_path, b"\x89PNG" + bytes(MAX_BYTES))
        assert too_large.status_code == 413
        no_file = client.post(
            f"{owner_path}/attachments", data={"note": "x"}, headers=trader.headers
        )
        assert no_file.status_code == 422
        assert no_file.json()["errors"][0]["location"] == "form.file"
        assert stored_paths(app, trader.id) == []

    def test_an_owner_holds_a_limited_number_of_attachments(
        self, client: TestClient, trader: Trader, owner_path: str
    ) -> None:
        picture = png(8, 8)
        for _ in range(MAX_PER_OWNER):
            assert upload(client, trader, owner_path, picture).status_code == 201
        response = upload(client, trader, owner_path, picture)
        assert response.status_code == 409
        assert response.json()["title"] == "Too many attachments"

    def test_deleting_the_account_removes_the_files(
        self, client: TestClient, app: FastAPI, trader: Trader, owner_path: str
    ) -> None:
        assert upload(client, trader, owner_path, png()).status_code == 201
        assert len(stored_paths(app, trader.id)) == 2
        response = client.request(
            "DELETE", "/v1/me", json={"password": PASSWORD}, headers=trader.headers
        )
        assert response.status_code == 204
        assert stored_paths(app, trader.id) == []

    def test_a_name_outside_ascii_is_sent_both_ways(
        self, client: TestClient, trader: Trader, owner_path: str
    ) -> None:
        attachment = upload(client, trader, owner_path, png(), name="Einstieg ü.png").json()
        assert attachment["filename"] == "Einstieg ü.png"
        download = client.get(
            f"{owner_path}/attachments/{attachment['id']}", headers=trader.headers
        )
        assert download.headers["content-disposition"] == (
            "inline; filename=\"Einstieg _.png\"; filename*=UTF-8''Einstieg%20%C3%BC.png"
        )
