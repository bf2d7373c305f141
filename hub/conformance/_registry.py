"""The closed registry of named checks and the view of a step they judge.

A check is a typed Python function registered under a name with a JSON Schema for its
parameters; suites can only name registered checks (the loader refuses anything else, listing
every unknown name). A check raises `CheckFailed` when the server breaks the rule, `Skipped` when
there is nothing to look at, and returns an optional note when it passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from hub.conformance._outcomes import CheckFailed, Skipped
from hub.conformance._results import Exchange
from hub.conformance._session import Response, Sent, Session
from hub.conformance._variables import Variables
from hub.errors import ValidationError
from hub.messages import parse_xml

MAX_XML_BYTES = 16 * 1024 * 1024


@dataclass
class StepView:
    """What a check sees: this step's response and request, earlier responses by step id, the
    session (for follow-up requests, logged in `exchanges`) and the run's variables."""

    response: Response
    sent: Sent
    session: Session
    variables: Variables
    earlier: Mapping[str, Response] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)

    def json(self, response: Response | None = None) -> Any:
        """The body as JSON; a body that is not JSON fails the check."""
        response = response or self.response
        try:
            return json.loads(response.content)
        except ValueError:
            raise CheckFailed(
                f"the body of {response.url} is not JSON (content type "
                f"{response.media_type or 'none'}): {response.content[:120]!r}"
            ) from None

    def xml(self, response: Response | None = None) -> etree._Element:
        """The body parsed by the hub's hardened parser; a body that is not XML fails."""
        response = response or self.response
        try:
            return parse_xml(response.content, max_bytes=MAX_XML_BYTES)
        except ValidationError as exc:
            raise CheckFailed(f"the body of {response.url} is not well-formed XML: {exc}") from None

    def other(self, step: str) -> Response:
        """The response of an earlier step (`step` in this test, or `test.step`)."""
        if step not in self.earlier:
            raise Skipped(f"no data: step {step!r} has no response to compare with")
        return self.earlier[step]

    def get(self, url: str) -> Response:
        """A follow-up GET with the run's default token, logged with this step."""
        headers = {"Authorization": f"Bearer {self.session.token()}"}
        _, response, _ = self.session.fetch("GET", url, headers, log=self.exchanges)
        return response


CheckFunction = Callable[[StepView, dict[str, Any]], str | None]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    summary: str
    params: dict[str, Any]
    shorthand: str | None
    run: CheckFunction

    def normalise(self, written: Any) -> dict[str, Any]:
        """Parameters as a mapping: `status: 200` is `status: {code: 200}`."""
        if isinstance(written, dict):
            return dict(written)
        if written is None:
            return {}
        if self.shorthand is None:
            return {"_": written}  # refused by the schema: this check takes a mapping
        return {self.shorthand: written}

    @property
    def schema(self) -> dict[str, Any]:
        required = [name for name, spec in self.params.items() if not spec.get("optional")]
        properties = {
            name: {key: value for key, value in spec.items() if key != "optional"}
            for name, spec in self.params.items()
        }
        return {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }


REGISTRY: dict[str, CheckSpec] = {}


def check(
    name: str, params: dict[str, dict[str, Any]] | None = None, shorthand: str | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under `name`; its docstring's first line is the summary in the docs."""

    def register(function: CheckFunction) -> CheckFunction:
        assert name not in REGISTRY, f"check {name} registered twice"
        paragraph = (function.__doc__ or "").strip().split("\n\n")[0]
        summary = " ".join(line.strip() for line in paragraph.splitlines())
        REGISTRY[name] = CheckSpec(name, summary, params or {}, shorthand, function)
        return function

    return register


TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
STRINGS: dict[str, Any] = {"type": "array", "items": TEXT, "minItems": 1}
ANY_VALUE: dict[str, Any] = {"type": ["string", "number", "boolean"]}
