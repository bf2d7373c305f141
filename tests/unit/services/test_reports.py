"""Report figures: timeliness against the 10/30/4-day rules, aging buckets, rejection fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.services.reports import rejections_by_field, timeliness, worklist_aging

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)  # a Friday


def _version(sid: str, batch: str, received: datetime, **events: str) -> dict[str, Any]:
    return {
        "state": "TX",
        "state_student_id": sid,
        "version": 1,
        "received_at": received,
        "batch_id": batch,
        "msix_id": f"child-{sid}",
        "events": events,
    }


def _row(chart: Any, series: str) -> list[float]:
    values: list[float] = chart.series[series]
    return values


def test_timeliness_counts_working_days_exempts_the_first_load_and_scores_move_notices() -> None:
    batches = [
        {"_id": "load", "state": "TX", "received_at": NOW - timedelta(days=90)},
        {"_id": "later", "state": "TX", "received_at": NOW - timedelta(days=1)},
    ]
    versions = [
        # The start-up full load: long overdue by the calendar, but exempt.
        _version("A", "load", NOW - timedelta(days=90), qualifying_arrival="2020-01-06"),
        # Arrival Friday 13 Nov, received Friday 27 Nov: 10 working days, on time.
        _version("B", "later", NOW, qualifying_arrival="2026-11-13"),
        # Arrival Thursday 12 Nov: 11 working days, late.
        _version("C", "later", NOW, qualifying_arrival="2026-11-12"),
        # Withdrawal 28 days before receipt: on time; 31 days: late.
        _version("D", "later", NOW, withdrawal="2026-10-30"),
        _version("E", "later", NOW, withdrawal="2026-10-27"),
    ]
    notices = [
        # Sent Monday 23 Nov; TX sent B's record on Friday 27 Nov: within 4 working days.
        {"sender": "TX|sis|district", "msix_id": "child-B", "received_at": NOW - timedelta(days=4)},
        # Sent 2 Nov, nothing followed: late.
        {
            "sender": "TX|sis|district",
            "msix_id": "child-Z",
            "received_at": NOW - timedelta(days=25),
        },
    ]
    chart = timeliness(versions, batches, notices, now=NOW)
    assert chart.categories == ["TX"]
    columns = chart.extra_columns
    assert columns["COE on time / counted"] == ["1/2"]
    assert columns["Term on time / counted"] == ["1/2"]
    assert columns["Move on time / counted"] == ["1/2"]
    assert _row(chart, "New COE: 10 working days") == [50.0]


def test_a_move_notice_still_inside_its_window_is_not_counted_late() -> None:
    notices = [{"sender": "WA|sis|x", "msix_id": "c", "received_at": NOW - timedelta(hours=2)}]
    chart = timeliness([], [], notices, now=NOW)
    assert chart.categories == []


def test_worklist_aging_buckets_items_by_days_open() -> None:
    items = [
        {"kind": "near_match", "created_at": NOW - timedelta(days=1)},
        {"kind": "near_match", "created_at": NOW - timedelta(days=7)},
        {
            "kind": "validate_user_merge",
            "created_at": (NOW - timedelta(days=45)).replace(tzinfo=None),
        },
    ]
    chart = worklist_aging(items, now=NOW)
    assert _row(chart, "Near match") == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert _row(chart, "Validate user merge") == [0.0, 0.0, 0.0, 0.0, 1.0]


def test_rejections_are_counted_by_field_without_record_positions() -> None:
    quarantine = [
        {
            "state": "TX",
            "status": "open",
            "issues": [
                {"severity": "error", "location": "records[3].enrollments[0].school_id"},
                {"severity": "error", "location": "records[3].enrollments[1].school_id"},
            ],
        },
        {
            "state": "WA",
            "status": "open",
            "issues": [{"severity": "error", "location": "enrollments[2].school_id"}],
        },
        {
            "state": "WA",
            "status": "resolved",
            "issues": [{"severity": "error", "location": "identity.sex"}],
        },
    ]
    chart = rejections_by_field(quarantine)
    assert chart.categories == ["enrollments.school_id"]
    assert chart.series == {"TX": [1.0], "WA": [1.0]}
