"""CA: the state's own XML, one <Student> per child, validated by mappings/ca/state-format.xsd.

transforms/ca-to-education-record.xsl reshapes one <Student> into a canonical StudentRecord.
Layout, codes and quirks: mappings/ca/README.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final

from lxml import etree

from hub.model import (
    Assessment,
    Course,
    Enrollment,
    Immunization,
    QualifyingMove,
    StudentRecord,
)
from hub.synth.native import _values as v
from hub.synth.native._state_file import StateFile

ROOT: Final = "MigrantStudents"
STUDENT: Final = "Student"
SCHEMA_VERSION: Final = "3.1"

GENDER: Final = {"Male": "M", "Female": "F", "Other": "X"}
# The state's grade codes differ from the canonical ones for kindergarten and ungraded only.
GRADES: Final = {"KG": "KN", "UG": "UE"}
YES, NO = "Y", "N"


def _add(parent: etree._Element, tag: str, value: object) -> None:
    if value is not None:
        etree.SubElement(parent, tag).text = str(value)


def _attributes(element: etree._Element, **values: str | None) -> None:
    for name, value in values.items():
        if value is not None:
            element.set(name, value)


def _yn(value: bool | None) -> str | None:
    return None if value is None else v.flag(value, YES, NO)


def _nonempty(element: etree._Element) -> bool:
    return len(element) > 0 or bool(element.attrib) or bool(element.text)


def student(record: StudentRecord) -> etree._Element:
    """The <Student> element for `record`."""
    who = record.identity
    root = etree.Element(STUDENT, action=record.action.value)
    _add(root, "SSID", record.student_id.value)
    _add(root, "SSIDType", record.student_id.id_type)
    _add(root, "MSIXID", record.msix_id)
    name = etree.Element("Name")
    _add(name, "FirstName", who.first_name)
    _add(name, "MiddleName", who.middle_name)
    _add(name, "LastName", who.last_name_1)
    _add(name, "SecondLastName", who.last_name_2)
    _add(name, "Suffix", who.suffix)
    if _nonempty(name):
        root.append(name)
    _add(root, "Gender", None if who.sex is None else GENDER.get(who.sex, who.sex))
    _add(root, "BirthDate", v.dd_mon_yy(who.birth_date))
    _add(root, "MultipleBirth", _yn(who.multiple_birth))
    place = etree.Element("BirthPlace")
    _attributes(place, City=who.birth_city, State=who.birth_state, Country=who.birth_country)
    if _nonempty(place):
        root.append(place)
    _add(root, "BirthDateVerification", who.birth_date_verification)
    if who.parents:
        guardians = etree.SubElement(root, "Guardians")
        for parent in who.parents:
            guardian = etree.SubElement(guardians, "Guardian")
            _add(guardian, "FirstName", parent.first_name)
            _add(guardian, "LastName", parent.last_name)
            _add(guardian, "Email", parent.email)
            _add(guardian, "Phone", parent.phone)
    if who.alternate_ids:
        others = etree.SubElement(root, "AlternateIds")
        for other in who.alternate_ids:
            alternate = etree.SubElement(others, "AlternateId")
            _attributes(alternate, Type=other.id_type)
            alternate.text = other.value
    _list(root, "QualifyingMoves", record.moves, _move)
    _list(root, "Enrollments", record.enrollments, _enrollment)
    _list(root, "Assessments", record.assessments, _assessment)
    _list(root, "Courses", record.courses, _course)
    _list(root, "Immunizations", record.immunizations, _dose)
    return root


def _list(root: etree._Element, tag: str, items: list[Any], build: Any) -> None:
    if items:
        wrapper = etree.SubElement(root, tag)
        for item in items:
            wrapper.append(build(item))


def _move(move: QualifyingMove) -> etree._Element:
    element = etree.Element("QualifyingMove")
    _add(element, "ArrivalDate", v.dd_mon_yy(move.qualifying_arrival_date))
    origin = etree.Element("From")
    _attributes(origin, City=move.from_city, State=move.from_state, Country=move.from_country)
    if _nonempty(origin):
        element.append(origin)
    destination = etree.Element("To")
    _attributes(destination, City=move.to_city, State=move.to_state)
    if _nonempty(destination):
        element.append(destination)
    _add(element, "EligibilityExpires", v.dd_mon_yy(move.eligibility_expiration_date))
    _add(element, "LastQualifyingMove", v.dd_mon_yy(move.last_qualifying_move_date))
    return element


def _enrollment(e: Enrollment) -> etree._Element:
    element = etree.Element("Enrollment", Seq=e.record_id)
    _add(element, "EnrollDate", v.dd_mon_yy(e.enrollment_date))
    _add(element, "EnrollType", e.enrollment_type)
    _add(element, "SchoolName", e.school_or_project_name)
    _add(element, "MEPProjectType", e.mep_project_type)
    _add(element, "SchoolCode", e.school_id)
    facility = etree.Element("Facility")
    _add(facility, "Name", e.facility_name)
    _add(facility, "Address1", e.facility_address_1)
    _add(facility, "Address2", e.facility_address_2)
    _add(facility, "Address3", e.facility_address_3)
    _add(facility, "City", e.facility_city)
    _add(facility, "State", e.facility_state)
    _add(facility, "Zip", e.facility_zip)
    _add(facility, "Phone", e.facility_phone)
    if _nonempty(facility):
        element.append(facility)
    _add(element, "DistrictCode", e.district_id)
    _add(element, "DistrictName", e.district_name)
    _add(
        element,
        "Grade",
        None if e.grade_level is None else GRADES.get(e.grade_level, e.grade_level),
    )
    _add(element, "EL", _yn(e.lep))
    _add(element, "IEP", _yn(e.iep))
    _add(element, "ImmunizationsOnFile", _yn(e.immunization_record_flag))
    _add(element, "MedicalAlert", e.medical_alert)
    _add(element, "PFS", _yn(e.pfs))
    _add(element, "WithdrawDate", v.dd_mon_yy(e.withdrawal_date))
    _add(element, "ResidenceDistrict", e.district_of_residence)
    _add(element, "ResidencyDate", v.dd_mon_yy(e.residency_date))
    _add(element, "ResidencyVerified", v.dd_mon_yy(e.residency_verification_date))
    _add(element, "GraduationSchool", e.designated_graduation_school)
    _add(element, "GradType", e.graduation_hse_indicator)
    _add(element, "GradDate", v.dd_mon_yy(e.graduation_hse_date))
    _add(element, "OutOfStateTranscript", _yn(e.out_of_state_transcript))
    _add(element, "ContinuationReason", e.continuation_of_services_reason)
    _add(element, "AlgebraI", _yn(e.algebra_1))
    _add(element, "Comment", e.comment)
    return element


def _assessment(a: Assessment) -> etree._Element:
    element = etree.Element("Assessment", Seq=a.record_id)
    _add(element, "Title", a.title)
    _add(element, "Content", a.content)
    _add(element, "Type", a.assessment_type)
    _add(element, "Administered", v.month_year(a.administration_date, "/") or None)
    _add(element, "Method", a.reporting_method)
    _add(element, "Score", a.score_results)
    _add(element, "PerformanceLevel", a.interpretation)
    return element


def _course(c: Course) -> etree._Element:
    element = etree.Element("Course", Seq=c.record_id)
    _add(element, "Title", c.title)
    _add(element, "SubjectArea", c.subject_area)
    _add(element, "Level", c.course_type)
    # CALPADS-style academic year "2023-2024": one field, so a course sends both years or neither.
    if c.begin_year is not None and c.end_year is not None:
        _add(element, "AcademicYear", f"{c.begin_year:04d}-{c.end_year:04d}")
    _add(element, "Section", c.section)
    _add(element, "TermType", c.term_type)
    _add(element, "ClockHours", v.decimal(c.clock_hours))
    _add(element, "GradeToDate", c.grade_to_date)
    _add(element, "Credits", v.decimal(c.credits_granted))
    _add(element, "FinalGrade", c.final_grade)
    return element


def _dose(i: Immunization) -> etree._Element:
    element = etree.Element("Dose", Seq=i.record_id, CVX=i.cvx)
    _add(element, "Given", v.iso(i.occurrence_date))
    _add(element, "DoseNumber", i.dose_number)
    _add(element, "Status", i.status)
    # The registry's word: a dose is "historical" when transcribed, not from the giver's record.
    _add(element, "Historical", _yn(not i.primary_source))
    return element


class CaliforniaFile(StateFile):
    """UTF-8 XML written element by element (lxml's incremental writer), ending in a summary."""

    state = "CA"
    extension = "xml"

    def __init__(self, path: Path, submitted_at: datetime) -> None:
        super().__init__(path, submitted_at)
        # The two contexts are entered here and left in finish() or abort(), not in a with block,
        # because records arrive one call at a time.
        self._file = etree.xmlfile(str(path), encoding="UTF-8")
        self._xml = self._file.__enter__()
        self._xml.write_declaration()
        extracted = submitted_at.isoformat(timespec="seconds")
        attributes = {"state": self.state, "extracted": extracted, "schemaVersion": SCHEMA_VERSION}
        self._root = self._xml.element(ROOT, attributes)
        self._root.__enter__()
        self._xml.write("\n")

    def _write(self, record: StudentRecord) -> None:
        self._xml.write(student(record), pretty_print=True)

    def finish(self) -> None:
        self._xml.write(etree.Element("Summary", studentCount=str(self.records)))
        self._xml.write("\n")
        self._root.__exit__(None, None, None)
        self._file.__exit__(None, None, None)

    def abort(self) -> None:
        # Leaving only the file context closes it without writing the root's closing tag.
        failure = RuntimeError("CA file aborted")
        self._file.__exit__(type(failure), failure, None)
        self.path.unlink(missing_ok=True)
