"""Patients refreshed in bulk: read in bulk, only the changed ones written, merges followed."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.services.patients import refresh_patient, refresh_patients
from hub.store import Store

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _child(store: Store, state: str, sid: str, first: str) -> str:
    identity = {"first_name": first, "last_name_1": "Reyes", "birth_date": "2014-03-07"}
    child = store.students.create(
        {"links": [{"state": state, "state_student_id": sid, "identity": identity}]}, now=NOW
    )
    record = {"identity": identity, "source": {"state": state}}
    store.state_records.save(state, sid, record, msix_id=child["_id"], now=NOW)
    msix_id: str = child["_id"]
    return msix_id


def test_refresh_patients_writes_each_changed_patient_once_and_then_nothing(store: Store) -> None:
    def run() -> None:
        ana = _child(store, "TX", "1", "Ana")
        luis = _child(store, "WA", "2", "Luis")
        with store.engine.batch():
            assert sorted(refresh_patients(store, [ana, luis, ana], now=NOW)) == sorted([ana, luis])
        assert refresh_patients(store, [ana, luis], now=NOW) == []  # nothing changed
        patients = store.fhir.read_many("Patient", [ana, luis])
        assert patients[ana].resource["name"][0]["given"] == ["Ana"]
        assert patients[luis].resource["identifier"][1]["value"] == "2"
        assert patients[ana].version_id == 1

        # Luis is merged into Ana: refreshing by the retired ID rewrites both Patients.
        children = store.students.get_many([ana, luis])
        links = [children[msix_id]["links"][0] for msix_id in (ana, luis)]
        store.students.update(ana, {"links": links})
        store.state_records.link("WA", "2", ana)
        store.students.retire(luis, alias_of=ana)
        assert sorted(refresh_patients(store, [luis], now=NOW)) == sorted([ana, luis])
        patients = store.fhir.read_many("Patient", [ana, luis])
        survivor = patients[ana].resource
        assert [item["value"] for item in survivor["identifier"]] == [ana, "1", "2"]
        assert survivor["link"] == [{"other": {"reference": f"Patient/{luis}"}, "type": "replaces"}]
        retired = patients[luis].resource
        assert retired["active"] is False
        assert retired["link"][0] == {
            "other": {"reference": f"Patient/{ana}"},
            "type": "replaced-by",
        }
        assert [item["value"] for item in retired["identifier"]] == [luis]
        assert refresh_patient(store, ana, now=NOW) == []

    store.call(run)
