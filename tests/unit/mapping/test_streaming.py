"""Streaming in constant memory: traced peaks stay far below the size of the file being read."""

from __future__ import annotations

import itertools
import os
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hub.mapping import Mapping, load_mapping, map_file
from hub.mapping._groups import children
from hub.mapping._readers import read_rows
from hub.mapping._xml import XmlRecord, iter_xml_records

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import WriteMapping

ROWS = 40_000
COLUMNS = (
    "STU_ID|ACTION|FIRST|SURNAMES|SEX|DOB|QAD|ENROLL_DT|GRADE|IMM1_CVX|IMM1_DT|IMM2_CVX|IMM2_DT"
)


def traced_peak(work: Callable[[], object]) -> int:
    """Peak traced allocation of `work`, in bytes above what was allocated before it."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def large_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large") / "large.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(COLUMNS + "\n")
        for number in range(ROWS):
            out.write(
                f"ZZ{number:06d}|A|MARÍA GUADALUPE|DE LA CRUZ HERNÁNDEZ|F|03/14/2012|08/19/2024|"
                "08/26/2024|3|3|20130402|21|20140501\n"
            )
    return path


@pytest.fixture(scope="module")
def pipe_csv() -> Mapping:
    folder = Path(__file__).resolve().parent / "fixtures" / "mappings" / "pipe-csv"
    return load_mapping(folder / "mapping.yaml")


@pytest.mark.slow
def test_reading_a_large_csv_keeps_memory_constant(large_csv: Path, pipe_csv: Mapping) -> None:
    counted: list[int] = []

    def read_all() -> None:
        with large_csv.open("rb") as stream:
            counted.append(sum(1 for _ in children(pipe_csv, read_rows(pipe_csv, stream))))

    peak = traced_peak(read_all)
    assert counted == [ROWS]
    size = large_csv.stat().st_size
    assert size > 4_000_000
    assert peak < size // 50, f"peak {peak} bytes for a {size}-byte file"


@pytest.mark.slow
def test_mapping_records_does_not_load_the_file(large_csv: Path, pipe_csv: Mapping) -> None:
    def map_some() -> None:
        records = map_file(pipe_csv, large_csv, today=date(2026, 11, 28))
        for mapped in itertools.islice(records, 1_000):
            assert mapped.record is not None

    peak = traced_peak(map_some)
    assert peak < large_csv.stat().st_size // 10


def resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_streaming_a_large_xml_file_keeps_memory_constant(
    write_mapping: WriteMapping, transforms_dir: Path, tmp_path: Path
) -> None:
    # libxml2 allocates outside Python's allocators, so tracemalloc cannot see a tree that is
    # never cleared; the resident set can (about 35 MB for this file when elements are kept).
    (transforms_dir / "ids.xsl").write_text(
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
        'xmlns="urn:msix:education-record:1" xmlns:s="urn:example:state-students">'
        '<xsl:template match="/s:Student"><StudentRecord><StudentId><State>ZZ</State>'
        '<Value><xsl:value-of select="s:Id"/></Value></StudentId></StudentRecord>'
        "</xsl:template></xsl:stylesheet>",
        encoding="utf-8",
    )
    mapping = load_mapping(
        write_mapping(
            "state: ZZ\nformat: xml\nxml: {xslt: transforms/ids.xsl, record_element: Student}\n"
        )
    )
    path = tmp_path / "large.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write('<Students xmlns="urn:example:state-students">\n')
        for number in range(20_000):
            out.write(
                f"<Student><Id>X{number}</Id><Name><Given>María Guadalupe</Given>"
                "<Paternal>de la Cruz</Paternal><Maternal>Hernández</Maternal></Name>"
                "<Note>Llegó de Yakima a mitad del semestre.</Note></Student>\n"
            )
        out.write("</Students>\n")
    assert mapping.xslt is not None
    before = resident_bytes()
    highest = before
    count = 0
    with path.open("rb") as stream:
        for found in iter_xml_records(stream, "Student", mapping.xslt):
            assert isinstance(found, XmlRecord)
            assert found.data is not None
            count += 1
            if count % 500 == 0:
                highest = max(highest, resident_bytes())
    size = path.stat().st_size
    assert count == 20_000
    assert size > 3_000_000
    assert highest - before < size // 2, f"grew {highest - before} bytes for a {size}-byte file"
