"""The hub as an HTTP client: pushing mailbox entries to receivers' registered endpoints.

`HttpPusher` is the `Sender` of `hub.services.delivery`: one POST of the message as sent
(`application/xml`, `X-MSIX-Signature`, `X-MSIX-Attempt`), redirects not followed, and the
receiver's answer read as a `PushOutcome` by `outcome_of`. `PushWorker` runs delivery rounds in
the background of an app process (started in the lifespan when `push_interval_seconds` > 0).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

import httpx2

from hub.errors import HubError
from hub.messages.bodies import Acknowledgement, AckResult, ErrorBody
from hub.messages.body_xml import read_body
from hub.messages.envelope import parse_message
from hub.messages.signature import SIGNATURE_HEADER
from hub.services.delivery import Push, PushOutcome, PushResult, RetryPolicy, run_delivery
from hub.store import Store

# IZ Gateway's read timeout; a push slower than this is retried (same MessageId).
PUSH_TIMEOUT_SECONDS: Final = 60.0
# An answer is an acknowledgement at most; anything longer is not read further.
MAX_ANSWER_BYTES: Final = 64 * 1024
_TRANSIENT: Final = frozenset({408, 425, 429})


def outcome_of(status: int, answer: bytes, message_id: str) -> PushOutcome:
    """What a receiver's HTTP answer means for the entry pushed.

    2xx with an Acknowledgement of this MessageId: acknowledged (or refused, when it rejects the
    message); 2xx otherwise: delivered; 408, 425, 429 and 5xx: retry; any other status: refused.
    """
    detail = f"HTTP {status}"
    if 200 <= status < 300:
        body = _answer_body(answer)
        if isinstance(body, Acknowledgement) and body.acknowledged_message_id == message_id:
            if body.result is AckResult.REJECTED:
                codes = ",".join(sorted({issue.code.value for issue in body.issues})) or "-"
                return PushOutcome(PushResult.REFUSED, f"{detail}, rejected ({codes})")
            return PushOutcome(PushResult.ACKNOWLEDGED, f"{detail}, {body.level.value}")
        return PushOutcome(PushResult.DELIVERED, detail)
    if status in _TRANSIENT or status >= 500:
        return PushOutcome(PushResult.RETRY, detail)
    body = _answer_body(answer)
    if isinstance(body, ErrorBody):
        detail = f"{detail}, {body.type.value}"
    return PushOutcome(PushResult.REFUSED, detail)


def _answer_body(answer: bytes) -> object:
    if not answer.strip() or len(answer) > MAX_ANSWER_BYTES:
        return None
    try:
        return read_body(parse_message(answer, max_bytes=MAX_ANSWER_BYTES))
    except HubError:
        return None


class HttpPusher:
    """Posts pushes over one pooled async HTTP client; close it with `aclose`."""

    def __init__(self, *, timeout: float = PUSH_TIMEOUT_SECONDS) -> None:
        self._client = httpx2.AsyncClient(timeout=timeout, follow_redirects=False)

    async def __call__(self, push: Push) -> PushOutcome:
        headers = {
            "Content-Type": "application/xml",
            "Accept": "application/xml",
            SIGNATURE_HEADER: push.signature,
            "X-MSIX-Attempt": str(push.attempt),
            "X-MSIX-Mailbox": push.mailbox,
        }
        try:
            async with self._client.stream(
                "POST", push.url, content=push.data, headers=headers
            ) as response:
                answer = await _read_capped(response)
        except httpx2.TimeoutException:
            return PushOutcome(PushResult.RETRY, "timeout")
        except httpx2.TransportError as exc:
            return PushOutcome(PushResult.RETRY, f"unreachable ({type(exc).__name__})")
        return outcome_of(response.status_code, answer, push.message_id)

    async def aclose(self) -> None:
        await self._client.aclose()


async def _read_capped(response: httpx2.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            return b""  # too long to be an acknowledgement: judged by its status alone
        chunks.append(chunk)
    return b"".join(chunks)


class PushWorker:
    """Delivery rounds in the background of one app process.

    Every process of a multi-process deployment may run one: entries are leased one by one
    (`hub.services.delivery`), so the workers share the queue without pushing an entry twice.
    """

    def __init__(self, store: Store, *, interval: float, policy: RetryPolicy | None = None) -> None:
        self._store = store
        self._interval = interval
        self._policy = policy
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pusher: HttpPusher | None = None

    def start(self) -> None:
        self._pusher = HttpPusher()
        self._task = asyncio.create_task(
            run_delivery(
                self._store,
                self._pusher,
                self._stop,
                interval=self._interval,
                policy=self._policy,
            ),
            name="msix-push-delivery",
        )

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pusher is not None:
            await self._pusher.aclose()
