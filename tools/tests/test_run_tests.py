from pathlib import Path

from run_tests import Counts, read_junit

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
