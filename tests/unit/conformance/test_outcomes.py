"""The one boundary: how anything a check or step does becomes one of five results."""

from __future__ import annotations

import pytest

from hub.conformance import CheckFailed, Omitted, Skipped, Status, decide, worst


def _raise(exc: BaseException) -> str | None:
    raise exc


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        (CheckFailed("status 500, expected 200"), Status.FAIL),
        (AssertionError("plain assert"), Status.FAIL),
        (Skipped("no data: nothing came back"), Status.SKIP),
        (Omitted("not applicable"), Status.OMIT),
        (KeyError("surprise"), Status.ERROR),
        (ValueError("bad parameter"), Status.ERROR),
        (ConnectionError("refused"), Status.ERROR),
    ],
)
def test_decide_maps_each_way_of_ending_to_one_status(raised: Exception, status: Status) -> None:
    verdict = decide(lambda: _raise(raised))

    assert verdict.status is status
    assert verdict.message


def test_decide_keeps_the_note_of_a_pass_and_the_reason_of_a_skip() -> None:
    assert decide(lambda: "3 entries").message == "3 entries"
    assert decide(lambda: None).status is Status.PASS
    assert decide(lambda: _raise(Skipped("no data: empty"))).message == "no data: empty"


def test_decide_names_the_exception_type_of_an_error() -> None:
    assert decide(lambda: _raise(KeyError("x"))).message.startswith("KeyError")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], Status.PASS),
        ([Status.PASS, Status.OMIT], Status.OMIT),
        ([Status.PASS, Status.SKIP, Status.OMIT], Status.SKIP),
        ([Status.SKIP, Status.FAIL], Status.FAIL),
        ([Status.FAIL, Status.ERROR, Status.PASS], Status.ERROR),
    ],
)
def test_worst_picks_error_over_fail_over_skip_over_omit_over_pass(
    statuses: list[Status], expected: Status
) -> None:
    assert worst(statuses) is expected
