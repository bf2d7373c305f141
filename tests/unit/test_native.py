"""Compiled twins: used only while every source matches its build; the plain sources still pass."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hub import native
from hub.fhir import _shapes

ROOT = Path(__file__).resolve().parents[2]


def _fake_build(tmp_path: Path, twin_text: str = "VALUE = 'twin'\n") -> tuple[Path, Path]:
    """A source tree with `pkgx.mod` and a build whose 'compiled' twin is a .py file."""
    root, built = tmp_path / "src", tmp_path / "built"
    (root / "pkgx").mkdir(parents=True)
    (root / "pkgx" / "mod.py").write_text("VALUE = 'source'\n")
    (built / "pkgx").mkdir(parents=True)
    (built / "pkgx" / "mod.py").write_text(twin_text)
    manifest = {
        "cache_tag": sys.implementation.cache_tag,
        "sources": {"pkgx.mod": native.digest(root / "pkgx" / "mod.py")},
        "files": {"pkgx.mod": "pkgx/mod.py"},
    }
    (built / native.MANIFEST).write_text(json.dumps(manifest))
    return root, built


def test_a_build_matching_its_sources_is_imported_in_their_place(tmp_path: Path) -> None:
    root, built = _fake_build(tmp_path)
    twins = native.read_build(built, root)
    assert twins.reason == ""
    spec = native.TwinFinder(twins.files).find_spec("pkgx.mod", None)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == "twin"
    assert native.TwinFinder(twins.files).find_spec("pkgx.other", None) is None


def test_an_edited_source_turns_the_whole_build_off(tmp_path: Path) -> None:
    root, built = _fake_build(tmp_path)
    (root / "pkgx" / "mod.py").write_text("VALUE = 'edited'\n")
    twins = native.read_build(built, root)
    assert twins.files == {}
    assert "pkgx.mod changed since the build" in twins.reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda built: (built / native.MANIFEST).unlink(), "not built"),
        (lambda built: (built / native.MANIFEST).write_text("{"), "unreadable manifest"),
        (lambda built: (built / "pkgx" / "mod.py").unlink(), "incomplete build"),
        (
            lambda built: (built / native.MANIFEST).write_text(
                json.dumps({"cache_tag": "cpython-27", "sources": {}, "files": {}})
            ),
            "built for cpython-27",
        ),
    ],
)
def test_a_build_that_cannot_be_trusted_is_not_used(
    tmp_path: Path, change: Callable[[Path], object], reason: str
) -> None:
    root, built = _fake_build(tmp_path)
    change(built)
    twins = native.read_build(built, root)
    assert twins.files == {}
    assert reason in twins.reason


def test_a_build_that_does_not_load_is_refused_before_it_replaces_anything(
    tmp_path: Path,
) -> None:
    """`build()` probes a fresh process with the new twins; a broken library is caught there."""
    name = "hub/fhir/_shapes" + importlib.machinery.EXTENSION_SUFFIXES[0]
    (tmp_path / name).parent.mkdir(parents=True)
    (tmp_path / name).write_bytes(b"not a shared library")
    manifest = {
        "cache_tag": sys.implementation.cache_tag,
        "sources": {"hub.fhir._shapes": native.digest(native.source_of("hub.fhir._shapes"))},
        "files": {"hub.fhir._shapes": name},
    }
    (tmp_path / native.MANIFEST).write_text(json.dumps(manifest))
    problem = native._load_problem(tmp_path, ["hub.fhir._shapes"])
    assert "ImportError" in problem or "invalid ELF header" in problem, problem


def test_the_makefile_rebuilds_when_a_compiled_source_changes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^NATIVE_SOURCES := (.+)$", makefile, re.MULTILINE)
    assert listed is not None
    expected = {str(native.source_of(module, ROOT).relative_to(ROOT)) for module in native.COMPILED}
    assert set(listed.group(1).split()) == expected | {"hub/native.py"}


def test_the_installed_twins_run_when_built_from_these_sources() -> None:
    """`make test` builds them; a machine without a C compiler runs the plain sources."""
    reason = native.read_build(native.default_directory()).reason
    if os.environ.get(native.PURE_ENV):
        pytest.skip(f"{native.PURE_ENV} is set")
    if "changed since the build" in reason:
        pytest.skip(f"twins out of date: {reason}")
    if reason and shutil.which("cc") is None:
        pytest.skip(f"no C compiler: {reason}")
    assert reason == "", reason
    assert native.status().startswith("compiled: hub.fhir._shapes")
    assert native.is_compiled(_shapes)


def test_the_plain_sources_pass_their_own_tests() -> None:
    """The suite runs the twins when built; this runs the twinned modules' tests without them."""
    tests = [
        "tests/unit/fhir/test_shapes.py",
        "tests/unit/fhir/test_profile_validation.py",
    ]
    assert all((ROOT / test).exists() for test in tests)
    probe = "import hub.native as n, hub.fhir._shapes as s; print(n.status(), n.is_compiled(s))"
    env = {**os.environ, native.PURE_ENV: "1"}
    said = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert said.stdout.strip() == f"pure Python ({native.PURE_ENV} is set) False"
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert re.search(r"\d+ passed", ran.stdout)
