"""Compiled twins of hot modules, used only while they match their sources exactly.

Some modules run per value on a hot path and are plain, fully typed Python, such as the shape key
of profile validation (`hub.fhir._shapes`, once per validated resource). `build()` compiles those
in `COMPILED` with mypyc (part of mypy, a dev dependency) into `<venv>/msix-native/`, never into
the source tree, and records each module's source digest. `install()` (run when `hub` is
imported) puts a finder first on `sys.meta_path` that imports the compiled twins instead of the
sources, and only when *every* recorded digest still matches its source and the interpreter is
the one they were built for: modules of one build call each other's compiled code directly, so
an edited module turns the whole build off, never just itself. An edited source is therefore
always what runs; `make install` rebuilds. `MSIX_PURE_PYTHON=1` turns the twins off; `status()`
says which code runs.

The twins are the same code, so they give the same results; they are faster because mypyc
compiles typed attribute access and calls. The tests run with the twins when they are built (as
`make test` builds them), and `tests/unit/test_native.py` also runs the modules' own tests on the
plain sources.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

# Only the shape key, so far. The matching engine (`hub.identity`) compiled took 14 % less CPU
# for a million children but 300 MB more memory, since compiled code boxes anew each int it
# stores (docs/identity.md); it stays plain.
COMPILED: tuple[str, ...] = ("hub.fhir._shapes",)
GROUP = "msix_native"  # mypyc's shared library of the build: `msix_native__mypyc`
MANIFEST = "manifest.json"
PURE_ENV = "MSIX_PURE_PYTHON"
DIR_ENV = "MSIX_NATIVE_DIR"
_HUB = Path(__file__).resolve().parent


def default_directory() -> Path:
    """Where the twins live: `MSIX_NATIVE_DIR`, else `<sys.prefix>/msix-native` (the venv's)."""
    return Path(os.environ.get(DIR_ENV) or Path(sys.prefix) / "msix-native")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_of(module: str, root: Path = _HUB.parent) -> Path:
    """The source file of a dotted module name under `root` (the directory holding `hub`)."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


@dataclass(frozen=True)
class Twins:
    """A build's extension files by module name, if the build may be used; else why not."""

    files: dict[str, Path]
    reason: str  # "" when usable


def read_build(directory: Path, root: Path = _HUB.parent) -> Twins:
    """The usable twins in `directory`, checked against the sources under `root`."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Twins({}, f"not built ({directory / MANIFEST} is missing)")
    except (OSError, ValueError) as exc:
        return Twins({}, f"unreadable manifest {directory / MANIFEST}: {exc}")
    if manifest.get("cache_tag") != sys.implementation.cache_tag:
        built_for = manifest.get("cache_tag")
        return Twins({}, f"built for {built_for}, not {sys.implementation.cache_tag}")
    sources: dict[str, str] = manifest.get("sources", {})
    for module, recorded in sources.items():
        try:
            current = digest(source_of(module, root))
        except OSError:
            return Twins({}, f"{module} has no source any more")
        if current != recorded:
            return Twins({}, f"{module} changed since the build; rebuild with `make install`")
    files = {module: directory / name for module, name in manifest.get("files", {}).items()}
    if not set(sources) <= set(files) or not all(path.is_file() for path in files.values()):
        return Twins({}, f"incomplete build in {directory}")
    return Twins(files, "")


class TwinFinder(importlib.abc.MetaPathFinder):
    """Imports each module of a usable build from its compiled file."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        found = self.files.get(fullname)
        if found is None:
            return None
        return importlib.util.spec_from_file_location(fullname, found)


_state: dict[str, str] = {"status": "pure Python (twins not looked for)"}


def install(directory: Path | None = None) -> str:
    """Put the finder of a usable build first on `sys.meta_path`; says what will run."""
    if os.environ.get(PURE_ENV):
        _state["status"] = f"pure Python ({PURE_ENV} is set)"
        return _state["status"]
    if any(isinstance(finder, TwinFinder) for finder in sys.meta_path):
        return _state["status"]
    twins = read_build(directory or default_directory())
    if twins.reason:
        _state["status"] = f"pure Python: compiled twins {twins.reason}"
        return _state["status"]
    already = [name for name in twins.files if name in sys.modules]
    if already:  # imported before the finder: mixing would break the build's direct calls
        _state["status"] = f"pure Python: {', '.join(sorted(already))} imported before the twins"
        return _state["status"]
    sys.meta_path.insert(0, TwinFinder(twins.files))
    _state["status"] = "compiled: " + ", ".join(name for name in COMPILED if name in twins.files)
    return _state["status"]


def status() -> str:
    """Which code runs the hot modules, for benchmarks and `msix` diagnostics."""
    return _state["status"]


def is_compiled(module: ModuleType) -> bool:
    return not str(module.__file__ or "").endswith(".py")


def build(directory: Path | None = None, modules: Sequence[str] = COMPILED) -> Path:
    """Compile `modules` with mypyc into `directory`; replaces an earlier build only on success.

    The sources are compiled where they are (through a link to the `hub` package in a scratch
    directory, so that mypy sees the whole package and nothing is written into the source
    tree). Needs mypy and a C compiler; raises `RuntimeError` with the compiler's output if the
    build fails.
    """
    target = directory or default_directory()
    with tempfile.TemporaryDirectory(prefix="msix-native-") as scratch:
        work = Path(scratch)
        (work / "hub").symlink_to(_HUB, target_is_directory=True)
        out = work / "out"
        script = (
            "import sys\n"
            "from setuptools import setup\n"
            "from mypyc.build import mypycify\n"
            "paths = sys.argv[1:]\n"
            "setup(name='msix-native', script_args=['-q', 'build_ext', '--build-lib', 'out',"
            " '--build-temp', 'temp'],\n"
            "      ext_modules=mypycify(['--ignore-missing-imports', *paths],"
            f" group_name={GROUP!r}, target_dir='c'))\n"
        )
        paths = [str(source_of(module, work).relative_to(work)) for module in modules]
        done = _python(script, paths, cwd=work)
        if done.returncode != 0:
            raise RuntimeError(f"mypyc build failed:\n{done.stdout}\n{done.stderr}")
        files: dict[str, str] = {}
        for compiled in out.rglob("*.so"):
            relative = compiled.relative_to(out)
            name = ".".join((*relative.parent.parts, relative.name.split(".", 1)[0]))
            files[name] = str(relative)
        if not set(modules) <= set(files):
            raise RuntimeError(f"mypyc built {sorted(files)}, not all of {list(modules)}")
        manifest = {
            "cache_tag": sys.implementation.cache_tag,
            "sources": {module: digest(source_of(module)) for module in modules},
            "files": files,
        }
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        staged = target.with_name(target.name + ".new")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(out, staged)
        problem = _load_problem(staged, modules)
        if problem:
            shutil.rmtree(staged, ignore_errors=True)
            raise RuntimeError(f"the compiled twins do not load: {problem}")
        shutil.rmtree(target, ignore_errors=True)
        staged.rename(target)
    return target


def _load_problem(directory: Path, modules: Sequence[str]) -> str:
    """Why a fresh process cannot import the twins in `directory` ("" when it can): a build
    that compiles but does not load must never replace a working one."""
    probe = (
        "import importlib, sys, hub.native as n\n"
        "bad = [m for m in sys.argv[1:] if not n.is_compiled(importlib.import_module(m))]\n"
        "sys.exit(f'{n.status()}; not compiled: {bad}' if bad else 0)\n"
    )
    env = {**os.environ, DIR_ENV: str(directory)}
    env.pop(PURE_ENV, None)
    done = _python(probe, modules, env=env)
    return "" if done.returncode == 0 else (done.stderr.strip() or done.stdout.strip())


def _python(
    code: str, args: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`code` run by this interpreter in a fresh process, its output captured."""
    return subprocess.run(  # noqa: S603 -- this interpreter and this module's own code
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`build` the twins, or say which code runs (`status`); see the Makefile."""
    command = (argv if argv is not None else sys.argv[1:]) or ["status"]
    if command[0] == "build":
        try:
            where = build()
        except (RuntimeError, OSError) as exc:
            print(f"compiled twins not built, pure Python will run: {exc}", file=sys.stderr)
            return 1
        print(f"compiled twins of {', '.join(COMPILED)} built in {where}")
        return 0
    print(status())
    return 0
