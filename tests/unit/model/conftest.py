"""A valid synthetic record that tests break one field at a time. Synthetic people only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

TODAY = date(2026, 11, 28)


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def record_data() -> dict[str, Any]:
    return {
        "student_id": {"state": "TX", "value": "SYN000001", "id_type": "01"},
        "action": "I",
        "identity": {
            "first_name": "Nadia",
            "last_name_1": "Ejemplo",
            "last_name_2": "Prueba",
            "sex": "Female",
            "birth_date": "2012-05-14",
            "birth_country": "MEX",
            "birth_date_verification": "1004",
            "parents": [{"first_name": "Rosa", "last_name": "Prueba", "phone": "5550100000"}],
            "alternate_ids": [{"state": "TX", "value": "ALT42", "id_type": "02"}],
        },
        "moves": [
            {
                "qualifying_arrival_date": "2025-03-15",
                "from_city": "Ciudad Ficticia",
                "from_country": "MEX",
                "to_state": "TX",
                "eligibility_expiration_date": "2028-03-15",
            }
        ],
        "enrollments": [
            {
                "record_id": "001",
                "enrollment_date": "2025-08-20",
                "withdrawal_date": "2025-12-19",
                "enrollment_type": "01",
                "grade_level": "07",
                "medical_alert": "None",
                "facility_phone": "5550199999",
            },
            {"record_id": "002", "enrollment_date": "2026-01-12", "enrollment_type": "02"},
        ],
        "assessments": [
            {
                "record_id": "001",
                "title": "Synthetic Reading Test",
                "assessment_type": "09",
                "administration_date": "2025-10",
                "reporting_method": "SS",
                "score_results": "512",
                "interpretation": "Proficient",
            }
        ],
        "courses": [
            {
                "record_id": "001",
                "title": "Algebra I",
                "course_type": "RG",
                "begin_year": 2025,
                "end_year": 2026,
                "section": "FY",
                "term_type": "0828",
                "credits_granted": "0.50",
            }
        ],
        "immunizations": [{"record_id": "001", "cvx": "03", "occurrence_date": "2013-06-01"}],
        "conditions": [
            {"record_id": "001", "code_system": "snomed", "code": "195967001", "display": "Asthma"}
        ],
    }
