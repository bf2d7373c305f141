"""The attack matrix of STANDARDS.md §7 as tests, plus the hardened parser's ordinary behaviour.

Several attacks are also sent in UTF-7: the pre-scan cannot see a DOCTYPE in that encoding, so
those cases prove the layers below it (the refusing resolver and the check after parsing) hold.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree
from xmlschema.exceptions import XMLResourceBlocked, XMLResourceForbidden

from hub.errors import ConfigurationError, IssueCode, TooLargeError, ValidationError
from hub.messages import safe_xml
from hub.messages.safe_xml import load_schema, parse_xml, safe_xslt, validate

MAX_BYTES = 2 * 1024 * 1024
HUB_SOURCE = Path(__file__).resolve().parents[3] / "hub"
SECRET = "SYNTHETIC-SECRET-4471"
XSL = "http://www.w3.org/1999/XSL/Transform"

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1 if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]><lolz>&lol9;</lolz>"
)


def utf8(document: str) -> bytes:
    return document.encode("utf-8")


def utf7(document: str) -> bytes:
    """`document` in UTF-7 with its markup characters shifted, so no ASCII `<!DOCTYPE` remains."""
    shifted = document.replace("<", "+ADw-").replace(">", "+AD4-").replace("!", "+ACE-")
    return b'<?xml version="1.0" encoding="UTF-7"?>' + shifted.encode("ascii")


Encoder = Callable[[str], bytes]
BOTH_ENCODINGS = pytest.mark.parametrize("encode", [utf8, utf7], ids=["utf-8", "utf-7"])


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.xml"
    path.write_text(f"<secret>{SECRET}</secret>", encoding="utf-8")
    return path


@pytest.fixture
def canary_url() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request; no test may make it see one."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "LEAKED">')

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def refused_as_doctype(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_xml(data, max_bytes=MAX_BYTES)
    assert [issue.rule for issue in caught.value.issues] == ["xml-no-doctype"]
    assert caught.value.issues[0].code is IssueCode.SECURITY
    return caught.value


@BOTH_ENCODINGS
def test_external_entity_file_is_not_loaded_and_doctype_rejected(
    secret_file: Path, encode: Encoder
) -> None:
    document = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]><r>&x;</r>'
    refused = refused_as_doctype(encode(document))
    assert SECRET not in str(refused)


@BOTH_ENCODINGS
def test_parameter_entity_is_rejected(secret_file: Path, encode: Encoder) -> None:
    document = f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{secret_file.as_uri()}"> %p;]><r/>'
    refused = refused_as_doctype(encode(document))
    assert SECRET not in str(refused)


@BOTH_ENCODINGS
def test_external_dtd_over_http_is_never_fetched(
    canary_url: tuple[str, list[str]], encode: Encoder
) -> None:
    url, hits = canary_url
    refused_as_doctype(encode(f'<!DOCTYPE r SYSTEM "{url}/evil.dtd"><r>&leak;</r>'))
    refused_as_doctype(encode(f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]><r/>'))
    assert hits == []


def test_parser_reads_no_external_dtd_or_parameter_entity_file(tmp_path: Path) -> None:
    # lxml 6.1 reads these files even with load_dtd=False; the refusing resolver must stop it.
    dtd = tmp_path / "external.dtd"
    dtd.write_text('<!ENTITY leak "LEAKED">', encoding="utf-8")
    for document in (
        f'<!DOCTYPE r SYSTEM "{dtd.as_uri()}"><r/>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]><r/>',
    ):
        tree = etree.fromstring(document.encode(), safe_xml._new_parser()).getroottree()
        declared = [
            entity.name
            for subset in (tree.docinfo.internalDTD, tree.docinfo.externalDTD)
            if subset is not None
            for entity in subset.iterentities()  # type: ignore[union-attr]
        ]
        assert "leak" not in declared


def test_billion_laughs_is_rejected_before_parsing() -> None:
    refused_as_doctype(utf8(BILLION_LAUGHS))


def test_billion_laughs_past_the_prescan_hits_the_amplification_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_xml(utf7(BILLION_LAUGHS), max_bytes=MAX_BYTES)
    assert [issue.rule for issue in caught.value.issues] == ["xml-amplification"]
    assert caught.value.issues[0].code is IssueCode.SECURITY


def test_utf16_doctype_is_rejected_before_parsing() -> None:
    error = refused_as_doctype('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'.encode("utf-16"))
    assert error.issues[0].location == "line 1"


def test_300k_deep_nesting_is_a_located_depth_error() -> None:
    depth = 300_000
    with pytest.raises(ValidationError) as caught:
        parse_xml(b"<a>" * depth + b"</a>" * depth, max_bytes=4 * MAX_BYTES)
    (issue,) = caught.value.issues
    assert issue.rule == "xml-depth"
    assert issue.location is not None
    assert issue.location.startswith("line 1, column ")


def test_nesting_at_the_depth_limit_is_accepted() -> None:
    depth = safe_xml.MAX_DEPTH
    root = parse_xml(b"<a>" * depth + b"</a>" * depth, max_bytes=MAX_BYTES)
    assert sum(1 for _ in root.iter()) == depth


def test_depth_is_checked_after_parsing_too() -> None:
    # Guards against a libxml2 whose own limit is raised: a tree built without the parser.
    root = leaf = etree.Element("a")
    for _ in range(safe_xml.MAX_DEPTH):
        leaf = etree.SubElement(leaf, "a")
    with pytest.raises(ValidationError) as caught:
        safe_xml._check_depth(root)
    (issue,) = caught.value.issues
    assert issue.rule == "xml-depth"
    assert issue.location == "/a" * (safe_xml.MAX_DEPTH + 1)


def stylesheet(body: str) -> str:
    return f'<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}">{body}</xsl:stylesheet>'


def test_xslt_document_cannot_read_local_files_under_deny_all(
    tmp_path: Path, secret_file: Path
) -> None:
    path = tmp_path / "steal.xsl"
    steal = f"<out><xsl:copy-of select=\"document('{secret_file.as_uri()}')\"/></out>"
    path.write_text(stylesheet(f'<xsl:template match="/">{steal}</xsl:template>'), "utf-8")
    # Without access control the attack works, so the denial below is meaningful.
    unguarded = etree.XSLT(etree.parse(str(path)))
    assert SECRET in str(unguarded(etree.XML(b"<r/>")))

    with pytest.raises(etree.XSLTApplyError, match="denied"):
        safe_xslt(path)(etree.XML(b"<r/>"))


def test_safe_xslt_still_transforms(tmp_path: Path) -> None:
    path = tmp_path / "rename.xsl"
    rename = '<xsl:template match="/r"><renamed><xsl:value-of select="."/></renamed></xsl:template>'
    path.write_text(stylesheet(rename), "utf-8")
    result = safe_xslt(path)(etree.XML(b"<r>Guadalupe</r>"))
    assert etree.tostring(result.getroot()) == b"<renamed>Guadalupe</renamed>"


def test_stylesheet_may_include_its_neighbours_only(tmp_path: Path) -> None:
    folder = tmp_path / "transforms"
    folder.mkdir()
    (folder / "parts.xsl").write_text(
        stylesheet('<xsl:template name="part"><part/></xsl:template>'), encoding="utf-8"
    )
    (tmp_path / "outside.xsl").write_text(
        stylesheet('<xsl:template name="part"><stolen/></xsl:template>'), encoding="utf-8"
    )
    main = (
        '<xsl:include href="{}"/>'
        '<xsl:template match="/"><o><xsl:call-template name="part"/></o></xsl:template>'
    )
    (folder / "main.xsl").write_text(stylesheet(main.format("parts.xsl")), encoding="utf-8")
    (folder / "escape.xsl").write_text(stylesheet(main.format("../outside.xsl")), encoding="utf-8")

    result = safe_xslt(folder / "main.xsl")(etree.XML(b"<r/>"))
    assert etree.tostring(result.getroot()) == b"<o><part/></o>"
    with pytest.raises(ConfigurationError):
        safe_xslt(folder / "escape.xsl")


def test_stylesheet_with_a_doctype_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xsl"
    path.write_text('<!DOCTYPE x [<!ENTITY e "e">]><x/>', encoding="utf-8")
    with pytest.raises(ConfigurationError):
        safe_xslt(path)


def test_xmlschema_input_with_an_entity_is_forbidden(tmp_path: Path) -> None:
    (tmp_path / "entity.xsd").write_text(
        '<?xml version="1.0"?><!DOCTYPE xs:schema [<!ENTITY x "y">]>'
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as caught:
        load_schema("entity.xsd", root=tmp_path)
    assert isinstance(caught.value.__cause__, XMLResourceForbidden)


def test_schema_cannot_include_files_outside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "xsd"
    folder.mkdir()
    (tmp_path / "outside.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>', encoding="utf-8"
    )
    (folder / "main.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:include schemaLocation="../outside.xsd"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as caught:
        load_schema("main.xsd", root=folder)
    assert isinstance(caught.value.__cause__, XMLResourceBlocked)


def test_load_schema_refuses_paths_outside_the_xsd_folder() -> None:
    with pytest.raises(ConfigurationError):
        load_schema("../pyproject.toml")


def test_oversize_body_is_refused_before_parsing() -> None:
    malformed = b"<" * 1025  # would be a syntax error, were it parsed
    with pytest.raises(TooLargeError) as caught:
        parse_xml(malformed, max_bytes=1024)
    assert caught.value.issues[0].code is IssueCode.TOO_LONG


def test_body_at_the_size_limit_is_parsed() -> None:
    data = b"<r>" + b"x" * 1017 + b"</r>"
    assert len(data) == 1024
    assert parse_xml(data, max_bytes=1024).text == "x" * 1017


def test_no_hub_code_enables_entity_resolution_or_huge_trees() -> None:
    dangerous = re.compile(r"resolve_entities\s*=\s*(?!False\b)|huge_tree\s*=\s*True")
    offenders = [
        f"{path.relative_to(HUB_SOURCE.parent)}:{number}"
        for path in sorted(HUB_SOURCE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if dangerous.search(line)
    ]
    assert offenders == []


def test_every_stylesheet_is_compiled_with_all_access_denied() -> None:
    # The mapping engine compiles its own stylesheets (it may not import hub.messages); both
    # places must pass DENY_ALL on the same call, and no other module may compile XSLT at all.
    call = re.compile(r"\b(?:etree\.)?XSLT\(([^)]*)\)")
    compilers = {"safe_xml.py", "_xml.py"}
    offenders = []
    for path in sorted(HUB_SOURCE.rglob("*.py")):
        for match in call.finditer(path.read_text(encoding="utf-8")):
            if path.name not in compilers or "access_control=deny_all" not in match.group(1):
                offenders.append(f"{path.relative_to(HUB_SOURCE.parent)}: {match.group(0)}")
    assert offenders == []


def test_malformed_xml_is_located_by_line_and_column() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_xml(b"<r>\n  <a></b>\n</r>", max_bytes=MAX_BYTES)
    first = caught.value.issues[0]
    assert first.code is IssueCode.STRUCTURE
    assert first.location == "line 2, column 10"


def test_empty_body_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        parse_xml(b"", max_bytes=MAX_BYTES)


def test_comments_and_processing_instructions_are_dropped() -> None:
    root = parse_xml(b"<r><!-- note --><?app run?><a/></r>", max_bytes=MAX_BYTES)
    assert [child.tag for child in root] == ["a"]


def test_validate_reports_every_error_with_its_xpath() -> None:
    schema = load_schema("education-record.xsd")
    document = (
        b'<StudentRecord xmlns="urn:msix:education-record:1">'
        b"<StudentId><State>tx</State><Value>1234567890123456</Value></StudentId>"
        b"<MsixId>12345</MsixId></StudentRecord>"
    )
    issues = validate(schema, parse_xml(document, max_bytes=MAX_BYTES))
    assert [(issue.location, issue.code) for issue in issues] == [
        ("/StudentRecord/StudentId/State", IssueCode.VALUE),
        ("/StudentRecord/StudentId/Value", IssueCode.TOO_LONG),
        ("/StudentRecord/MsixId", IssueCode.VALUE),
    ]
    assert all(issue.rule == "education-record.xsd" for issue in issues)


def test_validate_never_honours_inbound_schema_location(
    canary_url: tuple[str, list[str]],
) -> None:
    url, hits = canary_url
    document = (
        '<StudentRecord xmlns="urn:msix:education-record:1"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="urn:msix:education-record:1 {url}/lenient.xsd">'
        "<Anything/></StudentRecord>"
    ).encode()
    issues = validate(load_schema("education-record.xsd"), parse_xml(document, max_bytes=MAX_BYTES))
    assert [issue.code for issue in issues] == [IssueCode.STRUCTURE]
    assert hits == []
