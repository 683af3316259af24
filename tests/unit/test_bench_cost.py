"""make bench's cost calculator: DynamoDB's size and unit rules, and the dollars, on hand-computed cases."""

from __future__ import annotations

from typing import Any

import pytest
from inbox_dev import bench_cost
from inbox_dev.bench_cost import PerMessage, attribute_value_bytes, item_bytes, read_units, write_units


def test_item_size_follows_dynamodbs_rules() -> None:
    # Given attribute names and values of every kind
    item: dict[str, dict[str, Any]] = {
        "pk": {"S": "MSG#1"},  # 2 + 5
        "n": {"N": "12345"},  # 1 + (3 bytes for 5 digits + 1)
        "ok": {"BOOL": True},  # 2 + 1
        "l": {"L": [{"S": "ab"}, {"N": "100"}]},  # 1 + 3 + (1 + 2) + (1 + 2)
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + 1 + 1 + 1
    }
    # Then the size is the sum DynamoDB meters
    assert item_bytes(item) == 7 + 5 + 3 + 10 + 7
    assert attribute_value_bytes({"N": "-0.000120"}) == 2  # two significant digits: 1 + 1
    assert item_bytes(None) == 0


def test_units_round_up_per_kb_and_per_4_kb() -> None:
    assert [write_units(n) for n in (0, 1, 1024, 1025, 4096)] == [1, 1, 1, 2, 4]
    assert read_units(4096, consistent=True) == 1.0
    assert read_units(4097, consistent=True) == 2.0
    assert read_units(4097, consistent=False) == 1.0
    assert read_units(0, consistent=False) == 0.5


def test_a_transactional_write_counts_twice_and_its_indexes_once() -> None:
    write = bench_cost.Write(
        "message", "Put", True, 0, 1500, base_units=2, index_units={"gsi1": 2, "gsi2": 2}
    )
    assert write.units == 2 * 2 + 2 + 2


def test_cost_per_million_on_a_hand_computed_case() -> None:
    # Given 6 WRU, 2 RRU, 24.2 ms at 1 GB and exactly $0.50 worth of log bytes per message
    figures = PerMessage(
        write_units_by_item={"message": 2.0, "index gsi1 (message)": 4.0},
        read_units=2.0,
        calls={},
        handler_ms=5.0,
        lambda_ms=24.2,
        memory_mb=1024,
        log_lines=3,
        log_bytes=1024**3 / 1e6,
        item_bytes={},
    )
    # When it is priced
    costs = bench_cost.cost_per_million(figures)
    # Then every part is its unit price times its use (Lambda bills 25 whole ms)
    assert costs["API Gateway"] == pytest.approx(1.00)
    assert costs["Lambda requests"] == pytest.approx(0.20)
    assert costs["Lambda duration"] == pytest.approx(1e6 * 0.025 * 1 * 0.0000133334)
    assert costs["DynamoDB writes"] == pytest.approx(6 * 0.625)
    assert costs["DynamoDB reads"] == pytest.approx(2 * 0.125)
    assert costs["CloudWatch Logs"] == pytest.approx(0.50)
    assert costs["total"] == pytest.approx(1.00 + 0.20 + 0.333335 + 3.75 + 0.25 + 0.50)


def test_what_a_stored_message_costs_beyond_the_webhook() -> None:
    costs = bench_cost.also_billed_per_million(batch_size=25, traced_share=0.05)
    assert costs["EventBridge"] == pytest.approx(1.00)
    assert costs["events Lambda requests"] == pytest.approx(0.20 / 25)
    assert costs["X-Ray traces"] == pytest.approx(0.05 * (1 + 1 / 25) * 5.00)
    assert costs["total"] == pytest.approx(1.00 + 0.008 + 0.26)


def test_lambdas_start_and_report_lines_are_counted_only_at_info_or_debug() -> None:
    # Given a successful invocation: platform.start and platform.report are INFO events
    lines = {
        level: bench_cost.platform_log_lines("req-1", 20.4, 512, system_log_level=level)
        for level in bench_cost.SYSTEM_LOG_LEVELS
    }
    # Then DEBUG and INFO ship both, WARN (failures only) ships none
    assert [len(lines[level]) for level in ("DEBUG", "INFO", "WARN")] == [2, 2, 0]
    assert '"type":"platform.report"' in lines["INFO"][1]
    assert '"billedDurationMs":21' in lines["INFO"][1]
