import json
from pathlib import Path

from run_tests import (
    Counts,
    LogLine,
    check_stack_log,
    non_json_lines,
    read_junit,
    read_planted_secrets,
    read_stack_log,
    secret_leaks,
)

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="3" tests="10">
</testsuite></testsuites>
"""


class TestReadJunit:
    def test_counts_come_from_the_suite_totals(self, tmp_path: Path) -> None:
        report = tmp_path / "r.xml"
        report.write_text(REPORT)
        assert read_junit(report) == Counts(passed=4, failed=3, skipped=3)

    def test_a_missing_report_counts_nothing(self, tmp_path: Path) -> None:
        assert read_junit(tmp_path / "absent.xml") == Counts()

    def test_a_truncated_report_counts_nothing(self, tmp_path: Path) -> None:
        report = tmp_path / "r.xml"
        report.write_text(REPORT[:60])
        assert read_junit(report) == Counts()


PASSWORD = "correct-horse-battery-9"


def _log(tmp_path: Path, *lines: str) -> list[LogLine]:
    path = tmp_path / "stack.log"
    path.write_text("".join(line + "\n" for line in lines))
    return read_stack_log(path)


class TestReadStackLog:
    def test_each_line_keeps_its_number_and_service(self, tmp_path: Path) -> None:
        lines = _log(tmp_path, '   core | {"a": 1}', "workers | plain | text", "no bar")
        assert lines == [
            LogLine(1, "core", '{"a": 1}'),
            LogLine(2, "workers", "plain | text"),
            LogLine(3, "?", "no bar"),
        ]


class TestSecretLeaks:
    def test_a_planted_secret_is_found_with_its_service_and_line(self, tmp_path: Path) -> None:
        lines = _log(
            tmp_path,
            '   edge | {"message": "signed in"}',
            f'   core | {{"message": "login with {PASSWORD}"}}',
        )
        problems = secret_leaks(lines, [("password", PASSWORD)])
        assert problems == ["e2e: the planted password appears in stack.log line 2 (core)"]
        assert PASSWORD not in problems[0]

    def test_a_clean_log_has_no_leak(self, tmp_path: Path) -> None:
        lines = _log(tmp_path, '   core | {"message": "login", "password": "[REDACTED]"}')
        assert secret_leaks(lines, [("password", PASSWORD)]) == []

    def test_secrets_shorter_than_eight_characters_are_not_looked_for(self, tmp_path: Path) -> None:
        lines = _log(tmp_path, '   core | {"message": "GET /v1/positions 200"}')
        assert secret_leaks(lines, [("token", "200"), ("password", "GET /v1")]) == []
        assert secret_leaks(lines, [("path", "GET /v1/")]) != []

    def test_a_secret_escaped_in_json_or_a_url_is_still_found(self, tmp_path: Path) -> None:
        secret = 'pa"ss/word+1'
        lines = _log(
            tmp_path,
            f"   edge | {json.dumps({'message': secret})}",
            "    web | GET /login?next=pa%22ss%2Fword%2B1",
        )
        assert len(secret_leaks(lines, [("password", secret)])) == 2


class TestNonJsonLines:
    def test_lines_that_are_not_json_objects_are_counted_per_service(self, tmp_path: Path) -> None:
        lines = _log(
            tmp_path,
            '   core | {"level": "INFO"}',
            "   core | INFO:     Started server process",
            "   core | [1, 2]",
            '   edge | {"level": "INFO"}',
        )
        assert non_json_lines(lines) == [
            "e2e: core wrote 2 line(s) that are not JSON objects (stack.log line 2, 3)"
        ]

    def test_only_the_first_five_line_numbers_are_listed(self, tmp_path: Path) -> None:
        lines = _log(tmp_path, *["workers | Traceback"] * 7)
        assert non_json_lines(lines) == [
            "e2e: workers wrote 7 line(s) that are not JSON objects "
            "(stack.log line 1, 2, 3, 4, 5, ...)"
        ]


class TestCheckStackLog:
    def test_a_run_that_planted_nothing_is_a_problem(self, tmp_path: Path) -> None:
        lines = _log(tmp_path, '   core | {"level": "INFO"}')
        assert check_stack_log(lines, read_planted_secrets(tmp_path / "absent.json")) == [
            "e2e: the suite planted no secret, so the log scan proves nothing"
        ]

    def test_leaks_and_lines_that_are_not_json_are_both_problems(self, tmp_path: Path) -> None:
        lines = _log(
            tmp_path,
            f'   edge | {{"message": "{PASSWORD}"}}',
            "workers | Traceback (most recent call last):",
            '    web | {"message": "fine"}',
        )
        assert check_stack_log(lines, [("password", PASSWORD)]) == [
            "e2e: the planted password appears in stack.log line 1 (edge)",
            "e2e: workers wrote 1 line(s) that are not JSON objects (stack.log line 2)",
        ]

    def test_planted_secrets_are_read_from_the_suites_list(self, tmp_path: Path) -> None:
        planted = tmp_path / "planted.json"
        planted.write_text(json.dumps([{"what": "session cookie", "value": "abc"}]))
        assert read_planted_secrets(planted) == [("session cookie", "abc")]
        planted.write_text("[{")
        assert read_planted_secrets(planted) == []
