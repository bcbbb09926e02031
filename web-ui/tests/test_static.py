import hashlib
import re
from pathlib import Path

import httpx

from web_ui.rendering import PACKAGE_DIR

STATIC = PACKAGE_DIR / "static"


VENDORED = re.compile(r"\| `([\w.-]+\.js)` \|.*\| `([0-9a-f]{64})` \|")


class TestVendoredScripts:
    def test_each_file_matches_the_checksum_recorded_in_the_readme(self) -> None:
        recorded = VENDORED.findall((STATIC / "vendor" / "README.md").read_text())

        assert [name for name, _ in recorded] == [
            "htmx-2.0.11.min.js",
            "lightweight-charts-5.2.1.standalone.production.js",
        ]
        for name, checksum in recorded:
            actual = hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest()
            assert actual == checksum, name

    def test_every_vendored_script_is_listed_in_the_readme(self) -> None:
        recorded = {
            name for name, _ in VENDORED.findall((STATIC / "vendor" / "README.md").read_text())
        }

        assert {path.name for path in (STATIC / "vendor").glob("*.js")} == recorded

    def test_the_pages_load_the_recorded_files(self) -> None:
        templates = PACKAGE_DIR / "templates"

        assert 'src="/static/vendor/htmx-2.0.11.min.js"' in (templates / "base.html").read_text()
        assert (
            'src="/static/vendor/lightweight-charts-5.2.1.standalone.production.js"'
            in (templates / "position.html").read_text()
        )

    def test_the_chart_licence_is_kept_next_to_it(self) -> None:
        licence = (STATIC / "vendor" / "lightweight-charts-LICENSE.txt").read_text()

        assert "Apache License" in licence
        assert "TradingView" in licence


class TestStaticFiles:
    def test_the_stylesheet_and_scripts_are_served(self, browser: httpx.Client) -> None:
        for path, kind in [
            ("/static/app.css", "text/css"),
            ("/static/favicon.svg", "image/svg+xml"),
            ("/static/live.js", "javascript"),
            ("/static/vendor/htmx-2.0.11.min.js", "javascript"),
            ("/static/position_chart.js", "javascript"),
            ("/static/vendor/lightweight-charts-5.2.1.standalone.production.js", "javascript"),
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
