import hashlib
import re
from pathlib import Path

import httpx

from web_ui.rendering import PACKAGE_DIR

STATIC = PACKAGE_DIR / "static"


class TestVendoredHtmx:
    def test_the_file_matches_the_checksum_recorded_in_its_readme(self) -> None:
        readme = (STATIC / "vendor" / "README.md").read_text()
        [(name, recorded)] = re.findall(
            r"\| `(htmx-[\d.]+\.min\.js)` \|.*\| `([0-9a-f]{64})` \|", readme
        )

        actual = hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest()

        assert actual == recorded

    def test_the_pages_load_the_recorded_file(self) -> None:
        readme = (STATIC / "vendor" / "README.md").read_text()
        [name] = re.findall(r"\| `(htmx-[\d.]+\.min\.js)` \|", readme)

        base = (PACKAGE_DIR / "templates" / "base.html").read_text()

        assert f'src="/static/vendor/{name}"' in base


class TestStaticFiles:
    def test_the_stylesheet_and_scripts_are_served(self, browser: httpx.Client) -> None:
        for path, kind in [
            ("/static/app.css", "text/css"),
            ("/static/favicon.svg", "image/svg+xml"),
            ("/static/live.js", "javascript"),
            ("/static/vendor/htmx-2.0.11.min.js", "javascript"),
        ]:
            response = browser.get(path)
            assert response.status_code == 200, path
            assert kind in response.headers["content-type"]


class TestVendoredAxe:
    def test_the_file_matches_the_checksum_recorded_in_its_readme(self) -> None:
        vendor = Path(__file__).parent / "vendor"
        [(name, recorded)] = re.findall(
            r"\| `(axe-[\d.]+\.min\.js)` \|.*\| `([0-9a-f]{64})` \|",
            (vendor / "README.md").read_text(),
        )

        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == recorded

    def test_it_is_not_served_to_users(self, browser: httpx.Client) -> None:
        assert browser.get("/static/vendor/axe-4.14.1.min.js").status_code == 404
