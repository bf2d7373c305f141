"""The closed set of results and the one place where they are decided.

A check or a step only ever raises: `CheckFailed` (an `AssertionError`) when the server breaks a
rule, `Skipped` when there is no data to look at, `Omitted` when the test does not apply to this
server. `decide` turns whatever happened into a `Status`; nothing else in the engine picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 (a result, not a password)
    FAIL = "fail"
    SKIP = "skip"
    OMIT = "omit"
    ERROR = "error"


# Which status wins when a test holds several (Inferno's order): an error hides everything.
_PRECEDENCE = (Status.PASS, Status.OMIT, Status.SKIP, Status.FAIL, Status.ERROR)


class CheckFailed(AssertionError):  # noqa: N818 (an outcome, read as a sentence)
    """The server broke the rule a check verifies."""


class Skipped(Exception):  # noqa: N818 (an outcome, not a fault)
    """Nothing to look at: the data a check needs is not there (reason in the message)."""


class Omitted(Exception):  # noqa: N818 (an outcome, not a fault)
    """The test does not apply: the server does not claim the feature it verifies."""


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str = ""


def decide(action: Callable[[], str | None]) -> Verdict:
    """Run `action` and classify how it ended; its return value is a note kept on a pass."""
    try:
        note = action()
    except Omitted as exc:
        return Verdict(Status.OMIT, str(exc))
    except Skipped as exc:
        return Verdict(Status.SKIP, str(exc))
    except AssertionError as exc:
        return Verdict(Status.FAIL, str(exc) or "assertion failed")
    except Exception as exc:  # the boundary: anything unexpected is an error, never a crash
        return Verdict(Status.ERROR, f"{type(exc).__name__}: {exc}")
    return Verdict(Status.PASS, note or "")


def worst(statuses: Iterable[Status]) -> Status:
    """The status that stands for several (pass when there are none)."""
    return max(statuses, key=_PRECEDENCE.index, default=Status.PASS)
