"""Variables: values given to the run or captured from responses, substituted as `${name}`.

Substitution is plain replacement of whole names (no expressions). A step that needs a variable
nobody captured is skipped, with the reason the capture failed: there is no data to test with.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from hub.conformance._outcomes import Skipped

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _instant() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


GENERATORS: dict[str, Callable[[], str]] = {
    "message_id": lambda: f"urn:uuid:{uuid.uuid4()}",
    "uuid": lambda: str(uuid.uuid4()),
    "now": _instant,
    "today": lambda: date.today().isoformat(),
    "token": lambda: secrets.token_hex(8),
}
"""The closed list of values a step can generate (`generate: {msg: message_id}`)."""


class Variables:
    def __init__(
        self, values: dict[str, Any] | None = None, fixed: dict[str, Any] | None = None
    ) -> None:
        self.values: dict[str, Any] = {**(values or {}), **(fixed or {})}
        self.fixed = frozenset(fixed or {})
        self.missing: dict[str, str] = {}

    def set(self, name: str, value: Any) -> None:
        """Set a variable, unless the run fixed it (`--var`): the tester's choice wins."""
        if name in self.fixed:
            return
        self.values[name] = value
        self.missing.pop(name, None)

    def unset(self, name: str, reason: str) -> None:
        if name in self.fixed:
            return
        self.values.pop(name, None)
        self.missing[name] = reason

    def generate(self, name: str, generator: str) -> None:
        self.set(name, GENERATORS[generator]())

    def substitute(self, value: Any) -> Any:
        """`value` with every `${name}` replaced, in strings, lists and mappings alike.

        A string that is exactly one reference takes the variable's value as it is (a number
        stays a number). Raises `Skipped` naming the variable and why it has no value.
        """
        if isinstance(value, str):
            whole = _REFERENCE.fullmatch(value)
            if whole:
                return self._get(whole.group(1))
            return _REFERENCE.sub(lambda found: str(self._get(found.group(1))), value)
        if isinstance(value, list):
            return [self.substitute(item) for item in value]
        if isinstance(value, dict):
            return {key: self.substitute(item) for key, item in value.items()}
        return value

    def _get(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        why = self.missing.get(name, "no earlier step captured it and the run did not set it")
        raise Skipped(f"no data: variable {name!r} has no value ({why})")
