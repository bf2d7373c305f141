<?xml version="1.0" encoding="UTF-8"?>
<!--
  CA Student -> canonical education record (xsd/education-record.xsd).
  Input: ONE <Student> element of the CA extract (mappings/ca/state-format.xsd), as its own
  document; the ingest reader streams the extract and applies this stylesheet per Student.
  Output: one <StudentRecord xmlns="urn:msix:education-record:1">.
  Owner: synthetic sample state (MSIX Hub test fixture). Layout and codes: mappings/ca/README.md.
  Last reviewed: 2026-11-28.

  Structural reshaping only (STANDARDS.md §8 rule 7), run under DENY_ALL: no document(), no
  extensions, XSLT 1.0. Beyond moving elements it converts the CA spellings the canonical XML
  cannot hold: DD-MON-YY dates, MM/YYYY months, "2023-2024" academic years, Y/N flags, and the two
  small code tables below (gender, grade). Every other code is already canonical in CA's system.
  A value it cannot convert is copied unchanged, so the canonical schema rejects it with its path
  instead of the stylesheet guessing. Text is copied as is: accents are never touched.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns="urn:msix:education-record:1">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>
  <!-- No xsl:strip-space: libxslt strips the INPUT tree in place, and with lxml, when the input
       is one element of a larger parsed document, that frees nodes lxml still holds (a crash,
       seen on lxml 6.1). The templates never copy text nodes wholesale, so no stripping is needed. -->

  <xsl:variable name="MONTHS" select="'JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC'"/>
  <xsl:variable name="LOWER" select="'abcdefghijklmnopqrstuvwxyz'"/>
  <xsl:variable name="UPPER" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>

  <xsl:template match="/">
    <xsl:apply-templates select="Student"/>
  </xsl:template>

  <xsl:template match="Student">
    <StudentRecord>
      <StudentId>
        <State>CA</State>
        <Value><xsl:value-of select="SSID"/></Value>
        <xsl:for-each select="SSIDType"><IdType><xsl:value-of select="."/></IdType></xsl:for-each>
      </StudentId>
      <Action><xsl:value-of select="@action"/></Action>
      <xsl:for-each select="MSIXID"><MsixId><xsl:value-of select="."/></MsixId></xsl:for-each>
      <xsl:if test="Name/* | Gender | BirthDate | MultipleBirth | BirthPlace/@* | BirthDateVerification | Guardians | AlternateIds">
        <Identity>
          <xsl:for-each select="Name/FirstName"><FirstName><xsl:value-of select="."/></FirstName></xsl:for-each>
          <xsl:for-each select="Name/MiddleName"><MiddleName><xsl:value-of select="."/></MiddleName></xsl:for-each>
          <xsl:for-each select="Name/LastName"><LastName1><xsl:value-of select="."/></LastName1></xsl:for-each>
          <xsl:for-each select="Name/SecondLastName"><LastName2><xsl:value-of select="."/></LastName2></xsl:for-each>
          <xsl:for-each select="Name/Suffix"><Suffix><xsl:value-of select="."/></Suffix></xsl:for-each>
          <xsl:for-each select="Gender"><Sex><xsl:call-template name="gender"/></Sex></xsl:for-each>
          <xsl:for-each select="BirthDate"><BirthDate><xsl:call-template name="ora-date"/></BirthDate></xsl:for-each>
          <xsl:for-each select="MultipleBirth"><MultipleBirth><xsl:call-template name="yes-no"/></MultipleBirth></xsl:for-each>
          <xsl:for-each select="BirthPlace/@City"><BirthCity><xsl:value-of select="."/></BirthCity></xsl:for-each>
          <xsl:for-each select="BirthPlace/@State"><BirthState><xsl:value-of select="."/></BirthState></xsl:for-each>
          <xsl:for-each select="BirthPlace/@Country"><BirthCountry><xsl:value-of select="."/></BirthCountry></xsl:for-each>
          <xsl:for-each select="BirthDateVerification"><BirthDateVerification><xsl:value-of select="."/></BirthDateVerification></xsl:for-each>
          <xsl:if test="Guardians/Guardian">
            <Parents>
              <xsl:for-each select="Guardians/Guardian">
                <Parent>
                  <xsl:for-each select="FirstName"><FirstName><xsl:value-of select="."/></FirstName></xsl:for-each>
                  <xsl:for-each select="LastName"><LastName><xsl:value-of select="."/></LastName></xsl:for-each>
                  <xsl:for-each select="Email"><Email><xsl:value-of select="."/></Email></xsl:for-each>
                  <xsl:for-each select="Phone"><Phone><xsl:value-of select="."/></Phone></xsl:for-each>
                </Parent>
              </xsl:for-each>
            </Parents>
          </xsl:if>
          <xsl:if test="AlternateIds/AlternateId">
            <AlternateIds>
              <xsl:for-each select="AlternateIds/AlternateId">
                <StudentId>
                  <State>CA</State>
                  <Value><xsl:value-of select="."/></Value>
                  <xsl:for-each select="@Type"><IdType><xsl:value-of select="."/></IdType></xsl:for-each>
                </StudentId>
              </xsl:for-each>
            </AlternateIds>
          </xsl:if>
        </Identity>
      </xsl:if>
      <xsl:if test="QualifyingMoves/QualifyingMove">
        <Moves><xsl:apply-templates select="QualifyingMoves/QualifyingMove"/></Moves>
      </xsl:if>
      <xsl:if test="Enrollments/Enrollment">
        <Enrollments><xsl:apply-templates select="Enrollments/Enrollment"/></Enrollments>
      </xsl:if>
      <xsl:if test="Assessments/Assessment">
        <Assessments><xsl:apply-templates select="Assessments/Assessment"/></Assessments>
      </xsl:if>
      <xsl:if test="Courses/Course">
        <Courses><xsl:apply-templates select="Courses/Course"/></Courses>
      </xsl:if>
      <xsl:if test="Immunizations/Dose">
        <Immunizations><xsl:apply-templates select="Immunizations/Dose"/></Immunizations>
      </xsl:if>
    </StudentRecord>
  </xsl:template>

  <xsl:template match="QualifyingMove">
    <QualifyingMove>
      <QualifyingArrivalDate><xsl:call-template name="ora-date"><xsl:with-param name="d" select="ArrivalDate"/></xsl:call-template></QualifyingArrivalDate>
      <xsl:for-each select="From/@City"><FromCity><xsl:value-of select="."/></FromCity></xsl:for-each>
      <xsl:for-each select="From/@State"><FromState><xsl:value-of select="."/></FromState></xsl:for-each>
      <xsl:for-each select="From/@Country"><FromCountry><xsl:value-of select="."/></FromCountry></xsl:for-each>
      <xsl:for-each select="To/@City"><ToCity><xsl:value-of select="."/></ToCity></xsl:for-each>
      <xsl:for-each select="To/@State"><ToState><xsl:value-of select="."/></ToState></xsl:for-each>
      <xsl:for-each select="EligibilityExpires"><EligibilityExpirationDate><xsl:call-template name="ora-date"/></EligibilityExpirationDate></xsl:for-each>
      <xsl:for-each select="LastQualifyingMove"><LastQualifyingMoveDate><xsl:call-template name="ora-date"/></LastQualifyingMoveDate></xsl:for-each>
    </QualifyingMove>
  </xsl:template>

  <xsl:template match="Enrollment">
    <Enrollment>
      <RecordId><xsl:value-of select="@Seq"/></RecordId>
      <EnrollmentDate><xsl:call-template name="ora-date"><xsl:with-param name="d" select="EnrollDate"/></xsl:call-template></EnrollmentDate>
      <xsl:for-each select="EnrollType"><EnrollmentType><xsl:value-of select="."/></EnrollmentType></xsl:for-each>
      <xsl:for-each select="SchoolName"><SchoolOrProjectName><xsl:value-of select="."/></SchoolOrProjectName></xsl:for-each>
      <xsl:for-each select="MEPProjectType"><MepProjectType><xsl:value-of select="."/></MepProjectType></xsl:for-each>
      <xsl:for-each select="SchoolCode"><SchoolId><xsl:value-of select="."/></SchoolId></xsl:for-each>
      <xsl:for-each select="Facility/Name"><FacilityName><xsl:value-of select="."/></FacilityName></xsl:for-each>
      <xsl:for-each select="Facility/Address1"><FacilityAddress1><xsl:value-of select="."/></FacilityAddress1></xsl:for-each>
      <xsl:for-each select="Facility/Address2"><FacilityAddress2><xsl:value-of select="."/></FacilityAddress2></xsl:for-each>
      <xsl:for-each select="Facility/Address3"><FacilityAddress3><xsl:value-of select="."/></FacilityAddress3></xsl:for-each>
      <xsl:for-each select="Facility/City"><FacilityCity><xsl:value-of select="."/></FacilityCity></xsl:for-each>
      <xsl:for-each select="Facility/State"><FacilityState><xsl:value-of select="."/></FacilityState></xsl:for-each>
      <xsl:for-each select="Facility/Zip"><FacilityZip><xsl:value-of select="."/></FacilityZip></xsl:for-each>
      <xsl:for-each select="Facility/Phone"><FacilityPhone><xsl:value-of select="."/></FacilityPhone></xsl:for-each>
      <xsl:for-each select="DistrictCode"><DistrictId><xsl:value-of select="."/></DistrictId></xsl:for-each>
      <xsl:for-each select="DistrictName"><DistrictName><xsl:value-of select="."/></DistrictName></xsl:for-each>
      <xsl:for-each select="Grade"><GradeLevel><xsl:call-template name="grade"/></GradeLevel></xsl:for-each>
      <xsl:for-each select="EL"><Lep><xsl:call-template name="yes-no"/></Lep></xsl:for-each>
      <xsl:for-each select="IEP"><Iep><xsl:call-template name="yes-no"/></Iep></xsl:for-each>
      <xsl:for-each select="ImmunizationsOnFile"><ImmunizationRecordFlag><xsl:call-template name="yes-no"/></ImmunizationRecordFlag></xsl:for-each>
      <xsl:for-each select="MedicalAlert"><MedicalAlert><xsl:value-of select="."/></MedicalAlert></xsl:for-each>
      <xsl:for-each select="PFS"><Pfs><xsl:call-template name="yes-no"/></Pfs></xsl:for-each>
      <xsl:for-each select="WithdrawDate"><WithdrawalDate><xsl:call-template name="ora-date"/></WithdrawalDate></xsl:for-each>
      <xsl:for-each select="ResidenceDistrict"><DistrictOfResidence><xsl:value-of select="."/></DistrictOfResidence></xsl:for-each>
      <xsl:for-each select="ResidencyDate"><ResidencyDate><xsl:call-template name="ora-date"/></ResidencyDate></xsl:for-each>
      <xsl:for-each select="ResidencyVerified"><ResidencyVerificationDate><xsl:call-template name="ora-date"/></ResidencyVerificationDate></xsl:for-each>
      <xsl:for-each select="GraduationSchool"><DesignatedGraduationSchool><xsl:value-of select="."/></DesignatedGraduationSchool></xsl:for-each>
      <xsl:for-each select="GradType"><GraduationHseIndicator><xsl:value-of select="."/></GraduationHseIndicator></xsl:for-each>
      <xsl:for-each select="GradDate"><GraduationHseDate><xsl:call-template name="ora-date"/></GraduationHseDate></xsl:for-each>
      <xsl:for-each select="OutOfStateTranscript"><OutOfStateTranscript><xsl:call-template name="yes-no"/></OutOfStateTranscript></xsl:for-each>
      <xsl:for-each select="ContinuationReason"><ContinuationOfServicesReason><xsl:value-of select="."/></ContinuationOfServicesReason></xsl:for-each>
      <xsl:for-each select="AlgebraI"><Algebra1><xsl:call-template name="yes-no"/></Algebra1></xsl:for-each>
      <xsl:for-each select="Comment"><Comment><xsl:value-of select="."/></Comment></xsl:for-each>
    </Enrollment>
  </xsl:template>

  <xsl:template match="Assessment">
    <Assessment>
      <RecordId><xsl:value-of select="@Seq"/></RecordId>
      <Title><xsl:value-of select="Title"/></Title>
      <xsl:for-each select="Content"><Content><xsl:value-of select="."/></Content></xsl:for-each>
      <xsl:for-each select="Type"><AssessmentType><xsl:value-of select="."/></AssessmentType></xsl:for-each>
      <xsl:for-each select="Administered"><AdministrationDate><xsl:call-template name="month-year"/></AdministrationDate></xsl:for-each>
      <xsl:for-each select="Method"><ReportingMethod><xsl:value-of select="."/></ReportingMethod></xsl:for-each>
      <xsl:for-each select="Score"><ScoreResults><xsl:value-of select="."/></ScoreResults></xsl:for-each>
      <xsl:for-each select="PerformanceLevel"><Interpretation><xsl:value-of select="."/></Interpretation></xsl:for-each>
    </Assessment>
  </xsl:template>

  <xsl:template match="Course">
    <Course>
      <RecordId><xsl:value-of select="@Seq"/></RecordId>
      <Title><xsl:value-of select="Title"/></Title>
      <xsl:for-each select="SubjectArea"><SubjectArea><xsl:value-of select="."/></SubjectArea></xsl:for-each>
      <xsl:for-each select="Level"><CourseType><xsl:value-of select="."/></CourseType></xsl:for-each>
      <!-- "2023-2024": both years travel in one field. -->
      <xsl:for-each select="AcademicYear">
        <BeginYear><xsl:value-of select="substring-before(., '-')"/></BeginYear>
        <EndYear><xsl:value-of select="substring-after(., '-')"/></EndYear>
      </xsl:for-each>
      <xsl:for-each select="Section"><Section><xsl:value-of select="."/></Section></xsl:for-each>
      <xsl:for-each select="TermType"><TermType><xsl:value-of select="."/></TermType></xsl:for-each>
      <xsl:for-each select="ClockHours"><ClockHours><xsl:value-of select="."/></ClockHours></xsl:for-each>
      <xsl:for-each select="GradeToDate"><GradeToDate><xsl:value-of select="."/></GradeToDate></xsl:for-each>
      <xsl:for-each select="Credits"><CreditsGranted><xsl:value-of select="."/></CreditsGranted></xsl:for-each>
      <xsl:for-each select="FinalGrade"><FinalGrade><xsl:value-of select="."/></FinalGrade></xsl:for-each>
    </Course>
  </xsl:template>

  <xsl:template match="Dose">
    <Immunization>
      <RecordId><xsl:value-of select="@Seq"/></RecordId>
      <Cvx><xsl:value-of select="@CVX"/></Cvx>
      <xsl:for-each select="Given"><OccurrenceDate><xsl:value-of select="."/></OccurrenceDate></xsl:for-each>
      <xsl:for-each select="Status"><Status><xsl:value-of select="."/></Status></xsl:for-each>
      <xsl:for-each select="DoseNumber"><DoseNumber><xsl:value-of select="."/></DoseNumber></xsl:for-each>
      <!-- The registry marks transcribed doses "historical": the opposite of primary source. -->
      <xsl:for-each select="Historical">
        <PrimarySource>
          <xsl:choose>
            <xsl:when test=". = 'Y'">false</xsl:when>
            <xsl:when test=". = 'N'">true</xsl:when>
            <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
          </xsl:choose>
        </PrimarySource>
      </xsl:for-each>
    </Immunization>
  </xsl:template>

  <!-- Value conversions. Each reads the context node unless given another value. -->

  <!-- DD-MON-YY (Oracle's default) to YYYY-MM-DD; two-digit years 00-49 are 20xx, 50-99 19xx. -->
  <xsl:template name="ora-date">
    <xsl:param name="d" select="normalize-space(.)"/>
    <xsl:variable name="mon" select="translate(substring($d, 4, 3), $LOWER, $UPPER)"/>
    <xsl:variable name="before" select="substring-before($MONTHS, $mon)"/>
    <xsl:variable name="yy" select="substring($d, 8, 2)"/>
    <xsl:choose>
      <xsl:when test="string-length($d) = 9 and substring($d, 3, 1) = '-' and substring($d, 7, 1) = '-'
                      and string-length($mon) = 3 and contains($MONTHS, $mon)
                      and string-length($before) mod 3 = 0
                      and translate(concat(substring($d, 1, 2), $yy), '0123456789', '') = ''">
        <xsl:choose>
          <xsl:when test="number($yy) &lt; 50">20</xsl:when>
          <xsl:otherwise>19</xsl:otherwise>
        </xsl:choose>
        <xsl:value-of select="concat($yy, '-', format-number(string-length($before) div 3 + 1, '00'), '-', substring($d, 1, 2))"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$d"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- MM/YYYY to YYYY-MM. -->
  <xsl:template name="month-year">
    <xsl:param name="m" select="normalize-space(.)"/>
    <xsl:choose>
      <xsl:when test="string-length($m) = 7 and substring($m, 3, 1) = '/'">
        <xsl:value-of select="concat(substring($m, 4, 4), '-', substring($m, 1, 2))"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$m"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="yes-no">
    <xsl:choose>
      <xsl:when test=". = 'Y'">true</xsl:when>
      <xsl:when test=". = 'N'">false</xsl:when>
      <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Code table: CA gender -> canonical sex (hub/model/codesets/sex.csv). -->
  <xsl:template name="gender">
    <xsl:choose>
      <xsl:when test=". = 'M'">Male</xsl:when>
      <xsl:when test=". = 'F'">Female</xsl:when>
      <xsl:when test=". = 'X'">Other</xsl:when>
      <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Code table: CA grade -> canonical grade level; 01-12, TK and the rest are already canonical. -->
  <xsl:template name="grade">
    <xsl:choose>
      <xsl:when test=". = 'KN'">KG</xsl:when>
      <xsl:when test=". = 'UE' or . = 'US'">UG</xsl:when>
      <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
