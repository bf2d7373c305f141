"""The canonical minimum-data model: one `StudentRecord` is what one state says about one child.

Every input is mapped into these models and every output is rendered from them. Coded fields are
plain strings checked against the code sets by `hub.model.rules` (an unknown code is a located
issue, never a crash). Lengths are checked there too, because they vary by MDE version.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from hub.model.elements import mde


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)


class Action(StrEnum):
    """The state's action code for a record (DOMAIN.md §4)."""

    INSERT = "I"
    UPDATE = "U"
    DELETE = "D"


class StudentId(_Base):
    """An identifier a state holds for the child."""

    state: str = mde(
        "Reporting state (USPS code)", element="State", kind="A", length=2, default=...
    )
    value: str = mde(
        "The state's identifier; resolves to exactly one child in that state",
        element="State Student Identifier",
        kind="A",
        length=15,
        identifies="key",
        default=...,
    )
    id_type: str | None = mde(
        "Origin of the identifier",
        element="State Student ID Type",
        kind="A",
        length=2,
        codeset="student-id-type",
    )


class Parent(_Base):
    """A parent or guardian."""

    first_name: str | None = mde(
        "Parent/guardian first name",
        element="Parent First Name",
        kind="A",
        length=50,
        identifies="strong",
    )
    last_name: str | None = mde(
        "Parent/guardian last name",
        element="Parent Last Name",
        kind="A",
        length=50,
        identifies="strong",
    )
    email: str | None = mde("Parent/guardian e-mail", element="Parent E-mail", kind="A", length=50)
    phone: str | None = mde(
        "Parent/guardian phone, 10 digits", element="Parent Phone", kind="N", length=10
    )


class Identity(_Base):
    """Demographics and identity of the child (DOMAIN.md §2.1)."""

    first_name: str | None = mde(
        "Given name", element="First Name", kind="A", length=50, identifies="strong"
    )
    middle_name: str | None = mde(
        "Middle name", element="Middle Name", kind="A", length=50, identifies="weak"
    )
    last_name_1: str | None = mde(
        "Paternal or first surname",
        element="Last Name 1",
        kind="A",
        length=50,
        identifies="strong",
    )
    last_name_2: str | None = mde(
        "Maternal or second surname",
        element="Last Name 2",
        kind="A",
        length=50,
        identifies="strong",
    )
    suffix: str | None = mde("Jr., III", element="Suffix", kind="A", length=10, identifies="weak")
    sex: str | None = mde(
        "Sex as reported on the COE",
        element="Sex",
        kind="A",
        length=6,
        codeset="sex",
        identifies="strong",
    )
    birth_date: date | None = mde(
        "Date of birth", element="Birth Date", kind="D8", identifies="strong"
    )
    multiple_birth: bool | None = mde(
        "Twin, triplet or other multiple birth",
        element="Multiple Birth Flag",
        kind="YN",
        identifies="guard",
    )
    birth_city: str | None = mde(
        "City of birth", element="Birth City", kind="A", length=30, identifies="strong"
    )
    birth_state: str | None = mde(
        "State of birth (USPS)", element="Birth State", kind="A", length=2, identifies="strong"
    )
    birth_country: str | None = mde(
        "Country of birth (ISO 3166-1 alpha-3)",
        element="Birth Country",
        kind="A",
        length=3,
        codeset="country",
        identifies="strong",
    )
    birth_date_verification: str | None = mde(
        "Evidence for the date of birth",
        element="Birth Date Verification",
        kind="A",
        length=4,
        codeset="birth-date-verification",
    )
    parents: list[Parent] = Field(
        default_factory=list, max_length=2, description="Parents or guardians (at most two)"
    )
    alternate_ids: list[StudentId] = Field(
        default_factory=list, description="Other identifiers the state holds for the child"
    )


class QualifyingMove(_Base):
    """A qualifying move and the eligibility it starts (DOMAIN.md §2.2)."""

    qualifying_arrival_date: date = mde(
        "Start of eligibility: the child joined the moving worker or vice versa",
        element="Qualifying Arrival Date",
        kind="D8",
        default=...,
    )
    from_city: str | None = mde(
        "Home city before the move", element="Qual. Move From City", kind="A", length=100
    )
    from_state: str | None = mde(
        "Home state before the move (USPS)", element="Qual. Move From State", kind="A", length=2
    )
    from_country: str | None = mde(
        "Home country before the move (ISO alpha-3)",
        element="Qual. Move From Country",
        kind="A",
        length=3,
        codeset="country",
    )
    to_city: str | None = mde(
        "Home city after the move", element="Qual. Move To City", kind="A", length=100
    )
    to_state: str | None = mde(
        "Home state after the move (USPS)", element="Qual. Move To State", kind="A", length=2
    )
    eligibility_expiration_date: date | None = mde(
        "QAD + 36 months, sooner at age 22, graduation or HSE",
        element="Eligibility Expiration Date",
        kind="D8",
    )
    last_qualifying_move_date: date | None = mde(
        "Most recent qualifying move (CEDS)", element="Last Qualifying Move Date", kind="D8"
    )


class Enrollment(_Base):
    """One school or MEP project enrollment (DOMAIN.md §2.3)."""

    record_id: str = mde(
        "Row id 001-999, unique within the child's record",
        element="Record ID",
        kind="N",
        length=3,
        default=...,
    )
    enrollment_date: date = mde(
        "First verified day (residency start if residency-only)",
        element="Enrollment Date",
        kind="D8",
        default=...,
    )
    enrollment_type: str | None = mde(
        "Program serving the child",
        element="Enrollment Type",
        kind="A",
        length=2,
        codeset="enrollment-type",
    )
    school_or_project_name: str | None = mde(
        "School or MEP project name", element="School or Project Name", kind="A", length=100
    )
    mep_project_type: str | None = mde(
        "Where MEP services happen",
        element="MEP Project Type",
        kind="A",
        length=2,
        codeset="mep-project-type",
    )
    school_id: str | None = mde("NCES school id", element="School ID", kind="A", length=12)
    facility_name: str | None = mde(
        "Contact site name", element="Facility Name", kind="A", length=100
    )
    facility_address_1: str | None = mde(
        "Contact address line 1", element="Facility Address 1", kind="A", length=35
    )
    facility_address_2: str | None = mde(
        "Contact address line 2", element="Facility Address 2", kind="A", length=35
    )
    facility_address_3: str | None = mde(
        "Contact address line 3", element="Facility Address 3", kind="A", length=35
    )
    facility_city: str | None = mde("Contact city", element="Facility City", kind="A", length=30)
    facility_state: str | None = mde(
        "Contact state (USPS)", element="Facility State", kind="A", length=2
    )
    facility_zip: str | None = mde("Contact ZIP", element="Facility ZIP", kind="A", length=10)
    facility_phone: str | None = mde("Contact phone", element="Facility Phone", kind="N", length=10)
    district_id: str | None = mde("NCES LEA id", element="District ID", kind="A", length=7)
    district_name: str | None = mde("LEA name", element="District Name", kind="A", length=60)
    grade_level: str | None = mde(
        "Grade at enrollment", element="Grade Level", kind="A", length=2, codeset="grade-level"
    )
    lep: bool | None = mde("Limited English proficient", element="LEP Indicator", kind="YN")
    iep: bool | None = mde("Has an IEP", element="IEP Indicator", kind="YN")
    immunization_record_flag: bool | None = mde(
        "Immunization records on file", element="Immunization Record Flag", kind="YN"
    )
    medical_alert: str | None = mde(
        "Health condition to watch",
        element="Medical Alert Indicator",
        kind="A",
        length=10,
        codeset="medical-alert",
    )
    pfs: bool | None = mde("Priority for Services", element="PFS Flag", kind="YN")
    withdrawal_date: date | None = mde(
        "Last verified day; on or after enrollment", element="Withdrawal Date", kind="D8"
    )
    district_of_residence: str | None = mde(
        "LEA of residence (NCES)", element="District of Residence", kind="A", length=7
    )
    residency_date: date | None = mde(
        "Residence in the district began", element="Residency Date", kind="D8"
    )
    residency_verification_date: date | None = mde(
        "Residence re-confirmed", element="Residency Verification Date", kind="D8"
    )
    designated_graduation_school: str | None = mde(
        "Expected diploma school (NCES)",
        element="Designated Graduation School",
        kind="A",
        length=30,
    )
    graduation_hse_indicator: str | None = mde(
        "Diploma or HSE earned",
        element="Graduation/HSE Indicator",
        kind="A",
        length=10,
        codeset="graduation-hse",
    )
    graduation_hse_date: date | None = mde(
        "Date the diploma or HSE was earned", element="Graduation/HSE Date", kind="D8"
    )
    out_of_state_transcript: bool | None = mde(
        "Other states' transcripts held", element="Out-of-State Transcript Indicator", kind="YN"
    )
    continuation_of_services_reason: str | None = mde(
        "Why served after eligibility ended (ESEA §1304(e))",
        element="Continuation of Services Reason",
        kind="A",
        length=2,
        codeset="continuation-of-services",
    )
    algebra_1: bool | None = mde(
        "Algebra I or equivalent credit earned", element="Algebra I or Equivalent", kind="YN"
    )
    comment: str | None = mde(
        "Free-text enrollment comment", element="Enrollment Comment", kind="A", length=1000
    )


class Assessment(_Base):
    """An assessment result (DOMAIN.md §2.4)."""

    record_id: str = mde("Row id 001-999", element="Record ID", kind="N", length=3, default=...)
    title: str = mde("Test name", element="Assessment Title", kind="A", length=55, default=...)
    content: str | None = mde("Subject", element="Assessment Content", kind="A", length=35)
    assessment_type: str | None = mde(
        "Category", element="Assessment Type", kind="A", length=2, codeset="assessment-type"
    )
    administration_date: str | None = mde(
        "Month given, as YYYY-MM (MDE MMYYYY)", element="Administration Date", kind="YM"
    )
    reporting_method: str | None = mde(
        "Score kind", element="Reporting Method", kind="A", length=4, codeset="reporting-method"
    )
    score_results: str | None = mde("Score", element="Score Results", kind="A", length=40)
    interpretation: str | None = mde(
        "Proficiency",
        element="Interpretation",
        kind="A",
        length=100,
        codeset="assessment-interpretation",
    )


class Course(_Base):
    """A secondary course and the credit earned (DOMAIN.md §2.5)."""

    record_id: str = mde("Row id 001-999", element="Record ID", kind="N", length=3, default=...)
    title: str = mde(
        "Course title, e.g. Algebra II",
        element="Course Title",
        kind="A",
        length=50,
        default=...,
    )
    subject_area: str | None = mde(
        "Subject area, e.g. Mathematics", element="Subject Area", kind="A", length=50
    )
    course_type: str | None = mde(
        "Level", element="Course Type", kind="A", length=2, codeset="course-type"
    )
    begin_year: int | None = mde(
        "Begin academic year (YYYY)", element="Begin Academic Year", kind="N", length=4
    )
    end_year: int | None = mde(
        "End academic year (YYYY)", element="End Academic Year", kind="N", length=4
    )
    section: str | None = mde(
        "Part taken", element="Course Section", kind="A", length=2, codeset="course-section"
    )
    term_type: str | None = mde(
        "Term length", element="Term Type", kind="A", length=4, codeset="term-type"
    )
    clock_hours: Decimal | None = mde(
        "Hours attended in an unfinished course", element="Clock Hours", kind="N"
    )
    grade_to_date: str | None = mde(
        "Grade at withdrawal (percent or letter)", element="Grade-to-Date", kind="A", length=3
    )
    credits_granted: Decimal | None = mde(
        "Credits earned, N(3,2)", element="Credits Granted", kind="N", length=6
    )
    final_grade: str | None = mde("Final grade", element="Final Grade", kind="A", length=10)


class Immunization(_Base):
    """A vaccine dose as a health entry (CVX coded)."""

    record_id: str = mde("Row id 001-999", element="Record ID", kind="N", length=3, default=...)
    cvx: str = mde(
        "CDC CVX vaccine code (HL7 table 0292)",
        element="Vaccine (CVX)",
        kind="A",
        length=3,
        codeset="cvx",
        default=...,
    )
    occurrence_date: date | None = mde(
        "Date the dose was given", element="Immunization Date", kind="D8"
    )
    status: str = mde(
        "completed, entered-in-error or not-done",
        element="Immunization Status",
        kind="A",
        length=16,
        codeset="immunization-status",
        default="completed",
    )
    dose_number: int | None = mde("Dose number in the series", element="Dose Number", kind="N")
    primary_source: bool = mde(
        "False for a transcribed history", element="Primary Source", kind="YN", default=False
    )


class Condition(_Base):
    """A health condition (asthma, diabetes, allergy...) as a health entry."""

    record_id: str = mde("Row id 001-999", element="Record ID", kind="N", length=3, default=...)
    code_system: str = mde(
        "snomed or icd10cm",
        element="Condition Code System",
        kind="A",
        length=8,
        codeset="condition-code-system",
        default=...,
    )
    code: str = mde(
        "SNOMED CT or ICD-10-CM code",
        element="Condition Code",
        kind="A",
        length=20,
        default=...,
    )
    display: str | None = mde("Condition name", element="Condition Name", kind="A", length=100)
    category: str = mde(
        "problem-list-item or health-concern",
        element="Condition Category",
        kind="A",
        length=20,
        codeset="condition-category",
        default="problem-list-item",
    )
    clinical_status: str | None = mde(
        "active, recurrence, relapse, inactive, remission, resolved",
        element="Clinical Status",
        kind="A",
        length=12,
        codeset="condition-clinical",
        default="active",
    )
    verification_status: str = mde(
        "confirmed, provisional, unconfirmed...",
        element="Verification Status",
        kind="A",
        length=20,
        codeset="condition-ver-status",
        default="confirmed",
    )
    onset_date: date | None = mde("Onset", element="Onset Date", kind="D8")
    abatement_date: date | None = mde("Abatement", element="Abatement Date", kind="D8")


class SourceRef(_Base):
    """Where a record came from: the file (or message) and the record number in it."""

    kind: str = Field(description="file, message or fhir")
    name: str = Field(description="File name or message id")
    record_number: int | None = Field(None, ge=1, description="1-based record number")
    line: int | None = Field(None, ge=1, description="1-based line, for line formats")
    received_at: datetime | None = Field(None, description="When the hub received it (UTC)")


class StudentRecord(_Base):
    """Everything one state says about one child: the unit the hub stores, versions and links."""

    student_id: StudentId = Field(description="Record key: reporting state + state student id")
    action: Action = Field(Action.INSERT, description="The state's action code")
    msix_id: str | None = Field(
        None, pattern=r"^\d{12}$", description="MSIX ID the state already knows, if any"
    )
    identity: Identity = Field(default_factory=Identity)
    moves: list[QualifyingMove] = Field(default_factory=list)
    enrollments: list[Enrollment] = Field(default_factory=list)
    assessments: list[Assessment] = Field(default_factory=list)
    courses: list[Course] = Field(default_factory=list)
    immunizations: list[Immunization] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    source: SourceRef | None = Field(None, description="Provenance of this version")

    @property
    def key(self) -> tuple[str, str]:
        return (self.student_id.state, self.student_id.value)
