"""Push delivery: the outbox side of the mailboxes (STANDARDS.md §6 Delivery).

A state client registers one push endpoint for its state's mailbox (`register_push_endpoint`).
`deliver_due` then pushes every due, unexpired entry of those mailboxes, at least once, each
POST carrying the message as it was sent (same MessageId on every retry) and signed with the
secret the registration returned (`hub.messages.signature`):

- the receiver answers 2xx with an `Acknowledgement` (Receipt or Processed) of that MessageId:
  the entry is `acknowledged`;
- 2xx without one: `delivered` (no more pushes; the receiver acknowledges later, by
  `POST /messages/{id}/ack` or an Acknowledgement message, as a pulling receiver does);
- a timeout, a refused connection or a transient status: retried after an exponential back-off
  with jitter, up to `RetryPolicy.max_attempts` attempts (IZ Gateway uses 3), then `dead`;
- a rejecting acknowledgement or a permanent refusal: `dead` at once.

Dead letters stay in the mailbox (a pull still returns them) and `requeue_dead_letter` puts one
back in the queue. How an HTTP answer maps to a `PushOutcome` is the door's business
(`hub.api.push`); this module only schedules.

Several worker processes can run `deliver_due` against one store at once: each entry is leased
by a single atomic update (`MessageRepository.lease_due`), so one entry is pushed by one worker at
a time, and an entry whose worker died is leased again when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from ipaddress import ip_address
from urllib.parse import urlsplit

from hub.errors import IssueCode, NotFoundError, ValidationError, error
from hub.messages.signature import sign_push
from hub.security import Caller
from hub.services.messages import MESSAGES_READ, mailbox_of
from hub.store import Store
from hub.store.messages import ACKNOWLEDGED, DEAD, DELIVERED, PENDING

log = logging.getLogger("hub.delivery")

MAX_URL_LENGTH = 2048
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a push is retried."""

    max_attempts: int = 3
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    # Longer than a push may take (the sender's timeout): a lease outlived means a dead worker.
    lease: timedelta = timedelta(minutes=2)

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """Back-off after failed attempt number `attempt` (1-based): exponential, capped, with
        "equal jitter" (half fixed, half random) so that retries of many entries spread out."""
        base: timedelta = min(self.max_delay, self.first_delay * 2 ** (attempt - 1))
        jittered: timedelta = base / 2 + base / 2 * rng.random()
        return jittered


class PushResult(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # the receiver acknowledged this MessageId
    DELIVERED = "delivered"  # accepted, not (yet) acknowledged
    RETRY = "retry"  # transient failure
    REFUSED = "refused"  # permanent failure: retrying cannot help


@dataclass(frozen=True)
class PushOutcome:
    result: PushResult
    detail: str  # "HTTP 503", "timeout", ...: never payload content


@dataclass(frozen=True)
class Push:
    """One attempt to push one mailbox entry."""

    mailbox: str
    message_id: str
    url: str
    data: bytes
    attempt: int  # 1 for the first
    signature: str  # the X-MSIX-Signature value
    lease_id: str


Sender = Callable[[Push], Awaitable[PushOutcome]]


@dataclass
class DeliveryReport:
    """What one `deliver_due` round did (counts only)."""

    leased: int = 0
    acknowledged: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    lost: int = 0  # leases that ran out before the attempt was recorded


@dataclass(frozen=True)
class PushEndpoint:
    mailbox: str
    url: str
    updated_at: datetime


async def deliver_due(
    store: Store,
    now: datetime,
    *,
    send: Sender,
    policy: RetryPolicy | None = None,
    limit: int = 50,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Push the entries due at `now` (at most `limit`), concurrently, and record each outcome."""
    policy = policy or RetryPolicy()
    pushes = await store.run(_lease, store, now, policy, limit)
    if not pushes:
        return DeliveryReport()
    outcomes = await asyncio.gather(*(_attempt(send, push) for push in pushes))
    return await store.run(
        _settle, store, list(zip(pushes, outcomes, strict=True)), now, policy, rng
    )


async def run_delivery(
    store: Store,
    send: Sender,
    stop: asyncio.Event,
    *,
    interval: float,
    policy: RetryPolicy | None = None,
    limit: int = 50,
) -> None:
    """Deliver rounds until `stop` is set: at once again after a full round, else after
    `interval` seconds. A failed round is logged and retried; it never ends the loop."""
    while not stop.is_set():
        leased = 0
        try:
            report = await deliver_due(
                store, datetime.now(UTC), send=send, policy=policy, limit=limit
            )
            leased = report.leased
        except Exception:
            log.exception("push delivery round failed")
        if leased < limit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)


async def _attempt(send: Sender, push: Push) -> PushOutcome:
    try:
        return await send(push)
    except Exception as exc:  # a sender bug must not lose the lease bookkeeping of the others
        log.warning("push of %s to mailbox %s failed: %r", push.message_id, push.mailbox, exc)
        return PushOutcome(PushResult.RETRY, type(exc).__name__)


def _lease(store: Store, now: datetime, policy: RetryPolicy, limit: int) -> list[Push]:
    endpoints = store.messages.endpoints()
    if not endpoints:
        return []
    docs = store.messages.lease_due(
        sorted(endpoints), now=now, until=now + policy.lease, limit=limit
    )
    # Signed with the wall clock, not `now`: receivers check a signature's age by their own clock.
    signed_at = datetime.now(UTC)
    pushes = []
    for doc in docs:
        endpoint = endpoints[doc["mailbox"]]
        data = bytes(doc["message"])
        pushes.append(
            Push(
                mailbox=doc["mailbox"],
                message_id=doc["message_id"],
                url=endpoint["url"],
                data=data,
                attempt=int(doc["attempts"]),
                signature=sign_push(endpoint["secret"], data, now=signed_at),
                lease_id=doc["lease_id"],
            )
        )
    return pushes


def _settle(
    store: Store,
    attempts: list[tuple[Push, PushOutcome]],
    now: datetime,
    policy: RetryPolicy,
    rng: random.Random | None,
) -> DeliveryReport:
    report = DeliveryReport(leased=len(attempts))
    chooser = rng or random.Random()  # noqa: S311 - jitter, not a secret
    for push, outcome in attempts:
        retry_at: datetime | None = None
        if outcome.result is PushResult.ACKNOWLEDGED:
            status = ACKNOWLEDGED
        elif outcome.result is PushResult.DELIVERED:
            status = DELIVERED
        elif outcome.result is PushResult.RETRY and push.attempt < policy.max_attempts:
            status, retry_at = PENDING, now + policy.delay(push.attempt, chooser)
        else:
            status = DEAD
        settled = store.messages.settle(
            push.mailbox,
            push.message_id,
            push.lease_id,
            status=status,
            now=now,
            retry_at=retry_at,
            error=None if status in (ACKNOWLEDGED, DELIVERED) else outcome.detail,
        )
        if not settled:
            report.lost += 1
            continue
        if status == PENDING:
            report.retrying += 1
        elif status == DEAD:
            report.dead += 1
            log.warning(
                "push of %s to mailbox %s is a dead letter after %d attempt(s): %s",
                push.message_id,
                push.mailbox,
                push.attempt,
                outcome.detail,
            )
        elif status == DELIVERED:
            report.delivered += 1
        else:
            report.acknowledged += 1
    return report


# -- registration (store thread) ----------------------------------------------------------------


def register_push_endpoint(
    store: Store, caller: Caller, url: str, *, now: datetime
) -> tuple[PushEndpoint, str]:
    """Push the caller's state mailbox to `url` from now on; returns the endpoint and the
    signing secret, shown this once (registering again replaces both)."""
    caller.require_scopes(MESSAGES_READ)
    mailbox = mailbox_of(caller)
    url = check_endpoint_url(url)
    secret = secrets.token_urlsafe(32)
    store.messages.register_endpoint(mailbox, url, secret, now=now)
    return PushEndpoint(mailbox, url, now), secret


def push_endpoint(store: Store, caller: Caller) -> PushEndpoint:
    """The caller's state's registered endpoint; `NotFoundError` when it pulls."""
    caller.require_scopes(MESSAGES_READ)
    mailbox = mailbox_of(caller)
    doc = store.messages.endpoint(mailbox)
    if doc is None:
        raise NotFoundError(f"mailbox {mailbox} has no push endpoint; it is pulled", "url")
    return PushEndpoint(mailbox, doc["url"], doc["updated_at"])


def remove_push_endpoint(store: Store, caller: Caller) -> bool:
    """Stop pushing the caller's mailbox (its receivers pull again); False if none was set."""
    caller.require_scopes(MESSAGES_READ)
    return store.messages.remove_endpoint(mailbox_of(caller))


def requeue_dead_letter(store: Store, mailbox: str, message_id: str, *, now: datetime) -> None:
    """Give a dead letter a fresh set of attempts, due now (operators, `msix messages requeue`)."""
    if not store.messages.requeue(mailbox, message_id, now=now):
        raise NotFoundError(f"no dead letter {message_id} in mailbox {mailbox}", "message_id")


def check_endpoint_url(url: str) -> str:
    """An https URL, or http to this machine (loopback) for tests and demos; nothing else.

    The hub posts children's data there, so no credentials in the URL, no fragment, and plain
    http never leaves the machine.
    """
    url = url.strip()
    problems: list[str] = []
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if len(url) > MAX_URL_LENGTH:
        problems.append(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if parts.scheme not in ("https", "http") or not host:
        problems.append("give an absolute https:// URL")
    elif parts.scheme == "http" and not _is_loopback(host):
        problems.append("plain http is accepted only for loopback addresses; use https")
    if parts.username or parts.password:
        problems.append("the URL must not carry credentials")
    if parts.fragment:
        problems.append("the URL must not have a fragment")
    if problems:
        raise ValidationError([error(IssueCode.VALUE, problem, "url") for problem in problems])
    return url


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
