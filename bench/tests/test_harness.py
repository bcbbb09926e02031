from pathlib import Path

import pytest

from harness import BEGIN, END, Result, Workload, measure, write_report
from run import read_results


def _result(*seconds: float) -> Result:
    return Result("w", 10, 10, "rows", seconds)


class TestResult:
    def test_median_and_spread_come_from_all_runs(self) -> None:
        result = _result(3.0, 1.0, 2.0)
        assert result.median == 2.0
        assert result.spread == (1.0, 3.0)
        assert result.throughput == 5.0


class TestMeasure:
    def test_each_run_is_timed_after_one_warm_up(self) -> None:
        calls: list[int] = []
        workload = Workload("count", (3,), lambda size: (lambda: calls.append(size), size))
        result = measure(workload, 3, runs=4)
        assert len(result.seconds) == 4
        assert calls == [3] * 5


class TestReport:
    def test_the_table_replaces_only_the_marked_block(self, tmp_path: Path) -> None:
        report = tmp_path / "performance.md"
        report.write_text(f"# Performance\n\nprose before\n\n{BEGIN}\nold\n{END}\n\nprose after\n")
        write_report(report, [_result(0.5)])
        text = report.read_text()
        assert "old" not in text
        assert "prose before" in text
        assert "prose after" in text
        assert "| w | 10 | 1 | 500.0 ms |" in text

    def test_a_latency_row_has_no_throughput(self, tmp_path: Path) -> None:
        report = tmp_path / "performance.md"
        write_report(report, [Result("p99", 1000, 0, "messages", (0.002,))])
        assert "| p99 | 1,000 | 1 | 2.0 ms | 2.0 ms – 2.0 ms | — |" in report.read_text()

    def test_markers_are_added_when_absent(self, tmp_path: Path) -> None:
        report = tmp_path / "performance.md"
        write_report(report, [_result(2.0)])
        assert BEGIN in report.read_text()
        assert "2.00 s" in report.read_text()


class TestFolderResults:
    def test_lines_become_results(self, tmp_path: Path) -> None:
        out = tmp_path / "r.jsonl"
        out.write_text(
            '{"workload": "x", "size": 5, "items": 5, "unit": "rows", "seconds": [0.5, 0.25]}\n\n'
        )
        [result] = read_results(out)
        assert (result.workload, result.size, result.seconds) == ("x", 5, (0.5, 0.25))

    def test_a_bad_line_names_file_and_line(self, tmp_path: Path) -> None:
        out = tmp_path / "r.jsonl"
        out.write_text('{"workload": "x"}\n')
        with pytest.raises(ValueError, match=r"r.jsonl:1"):
            read_results(out)
