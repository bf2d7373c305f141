from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.identity import SourceRecord, consolidate, summarise_identity

JAN = datetime(2026, 1, 10, tzinfo=UTC)
MAR = datetime(2026, 3, 10, tzinfo=UTC)


def record(state: str, when: datetime, trust: int = 100, **identity: Any) -> SourceRecord:
    return SourceRecord(state, f"{state}1", when, {"identity": identity}, trust=trust)


def test_most_recent_non_empty_value_survives_with_its_provenance() -> None:
    summary = summarise_identity(
        [
            record("TX", JAN, first_name="María", middle_name="Guadalupe", birth_city="Weslaco"),
            record("WA", MAR, first_name="Lupe", middle_name=None),
        ]
    )
    assert summary.values["first_name"] == "Lupe"
    assert summary.provenance["first_name"].state == "WA"
    # WA sent no middle name or birth city: TX's values survive, credited to TX.
    assert summary.values["middle_name"] == "Guadalupe"
    assert summary.provenance["birth_city"].state == "TX"
    assert summary.alternatives["first_name"] == ("María",)


def test_ties_go_to_the_more_trusted_state_whatever_the_order() -> None:
    records = [
        record("WA", MAR, trust=2, last_name_1="Delacruz"),
        record("TX", MAR, trust=1, last_name_1="de la Cruz"),
    ]
    for ordered in (records, list(reversed(records))):
        summary = summarise_identity(ordered)
        assert summary.values["last_name_1"] == "de la Cruz"
        assert summary.provenance["last_name_1"].state == "TX"


def test_placeholders_never_survive_over_real_values() -> None:
    summary = summarise_identity(
        [
            record("TX", JAN, first_name="Sofía", birth_date="2014-03-07"),
            record("WA", MAR, first_name="BABY GIRL", birth_date="1900-01-01"),
        ]
    )
    assert summary.values["first_name"] == "Sofía"
    assert summary.values["birth_date"] == "2014-03-07"


def test_only_placeholders_still_show_the_newest() -> None:
    summary = summarise_identity(
        [record("TX", JAN, first_name="TWIN A"), record("WA", MAR, first_name="TWIN B")]
    )
    assert summary.values["first_name"] == "TWIN B"


def test_inactive_records_are_left_out() -> None:
    retired = SourceRecord("WA", "WA1", MAR, {"identity": {"first_name": "Ana"}}, active=False)
    summary = summarise_identity([record("TX", JAN, first_name="Sofía"), retired])
    assert summary.values["first_name"] == "Sofía"


def test_summary_json_names_each_source() -> None:
    payload = summarise_identity([record("TX", JAN, first_name="Sofía")]).to_json()
    assert payload["provenance"]["first_name"] == {
        "state": "TX",
        "state_student_id": "TX1",
        "received_at": JAN.isoformat(),
    }


def test_consolidate_tags_items_by_source_and_totals_credits() -> None:
    texas = SourceRecord(
        "TX",
        "TX1",
        JAN,
        {
            "identity": {"first_name": "Sofía"},
            "enrollments": [{"record_id": "001", "enrollment_date": "2025-09-01"}],
            "courses": [
                {"record_id": "001", "title": "Algebra I", "subject_area": "Mathematics",
                 "credits_granted": "0.50"},
                {"record_id": "002", "title": "English I", "subject_area": "English",
                 "credits_granted": "1.00"},
            ],
        },
    )  # fmt: skip
    washington = SourceRecord(
        "WA",
        "WA1",
        MAR,
        {
            "identity": {"first_name": "Sofia"},
            "enrollments": [{"record_id": "001", "enrollment_date": "2025-04-15"}],
            "courses": [
                {"record_id": "001", "title": "Algebra I", "subject_area": "Mathematics",
                 "credits_granted": "0.25"},
            ],
            "assessments": [
                {"record_id": "001", "title": "Reading", "administration_date": "2025-05"}
            ],
        },
    )  # fmt: skip
    result = consolidate([texas, washington])
    assert [e["source"]["state"] for e in result["enrollments"]] == ["WA", "TX"]
    assert result["credit_totals"] == {"English": "1.00", "Mathematics": "0.75"}
    assert result["assessments"][0]["source"] == {"state": "WA", "state_student_id": "WA1"}
    assert result["identity"]["identity"]["first_name"] == "Sofia"
    assert [s["state"] for s in result["sources"]] == ["TX", "WA"]
