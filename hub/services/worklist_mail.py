"""E-mail on arrival (DOMAIN.md §6): a worklist item that reaches a level is announced to the
data administrators who work that level of its route.

A notice names the item, its kind, level and deadlines and links to it; it never names the child
or carries any record data (the mail leaves the hub's protection), so reading the item still
needs a sign-in. Notices are queued in the store (`hub.store.mail`) in the same unit of work as
the item, and sent by `send_due` through SMTP when `MSIX_SMTP_HOST` is set: `msix mail send` (once
or `--every N` seconds) or any process that calls it. A failed send is retried with back-off and
given up after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from hub.config import Settings
from hub.security import Level, Permission, User
from hub.store import Document, Store

MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=5)
_FIRST_RETRY = timedelta(minutes=1)

_KIND_TITLES = {
    "near_match": "A near match",
    "validate_near_match_merge": "A merge decided from a near match, to validate",
    "validate_user_merge": "A merge requested by a user, to validate",
    "validate_user_split": "A split requested by a user, to validate",
}

Sender = Callable[[EmailMessage], None]


def recipients(store: Store, item: Mapping[str, Any]) -> list[User]:
    """Active users who work `item` at its current level: a data administrator of exactly that
    level of its route (and, when the item is assigned, one of the assignees); never the person
    who asked for a validation, who may not decide it."""
    route, level = item["route"], Level(item["level"])
    assigned = set(item.get("assigned_to") or ())
    found = []
    for document in store.users.list(route["state"]):
        user = User.from_document(document)
        where = user.jurisdiction
        if (
            user.status != "active"
            or Permission.WORKLIST not in user.permissions
            or where.level is not level
            or (level is Level.REGION and where.region != route.get("region"))
            or (level is Level.DISTRICT and where.district != route.get("district"))
            or (assigned and user.username not in assigned)
            or user.username == item.get("initiator")
        ):
            continue
        found.append(user)
    return found


def queue_arrival(store: Store, item: Mapping[str, Any], *, now: datetime) -> int:
    """Queue a notice of `item` at its current level to each of its recipients (on the store
    thread); the same item at the same level is announced to a person once."""
    messages = [
        {
            "_id": f"{item['_id']}#{item['level']}#{user.username}",
            "to": user.email,
            "username": user.username,
            "item": item["_id"],
            "level": item["level"],
            "subject": _subject(item),
            "body": _body(item),
        }
        for user in recipients(store, item)
    ]
    return store.mail.enqueue(messages, now=now) if messages else 0


def _subject(item: Mapping[str, Any]) -> str:
    title = _KIND_TITLES.get(str(item["kind"]), "An item")
    return f"MSIX worklist: {title.lower()} waits for you ({item['_id']})"


def _body(item: Mapping[str, Any]) -> str:
    route = item["route"]
    place = ", ".join(
        f"{name} {route[name]}" for name in ("state", "region", "district") if route.get(name)
    )
    title = _KIND_TITLES.get(str(item["kind"]), "An item")
    return "\n".join(
        [
            f"{title} is waiting in your MSIX worklist.",
            "",
            f"Item:   {item['_id']}",
            f"Level:  {item['level']} ({place})",
            f"Since:  {_day(item['level_since'])}",
            "",
            "Sign in to MSIX Hub and open Worklist to decide it. If nobody at this level acts, it",
            "escalates to the next level.",
            "",
            "This notice carries no student information by design; do not reply with any.",
        ]
    )


def _day(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if isinstance(moment, datetime) else str(moment)


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def smtp_sender(settings: Settings) -> Sender:
    """Send through the configured SMTP server (STARTTLS and login when configured)."""
    if not settings.smtp_host:
        raise ValueError("MSIX_SMTP_HOST is not set: no mail can be sent")
    host, port = settings.smtp_host, settings.smtp_port

    def send(message: EmailMessage) -> None:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)

    return send


def send_due(
    store: Store, settings: Settings, send: Sender, *, now: datetime, limit: int = 100
) -> SendReport:
    """Send what is due (from any thread but the store's: sending waits on the network)."""
    claimed = store.call(store.mail.claim, now=now, lease=LEASE, limit=limit)
    sent = retrying = failed = 0
    for doc in claimed:
        try:
            send(_message(doc, settings))
        except (OSError, smtplib.SMTPException) as exc:
            attempts = int(doc.get("attempts", 0)) + 1
            retry_at = now + _FIRST_RETRY * 2 ** (attempts - 1) if attempts < MAX_ATTEMPTS else None
            store.call(
                store.mail.settle,
                doc["_id"],
                now=now,
                sent=False,
                error=f"{type(exc).__name__}: {exc}"[:300],
                retry_at=retry_at,
            )
            retrying, failed = (retrying + 1, failed) if retry_at else (retrying, failed + 1)
        else:
            store.call(store.mail.settle, doc["_id"], now=now, sent=True)
            sent += 1
    return SendReport(sent, retrying, failed)


def _message(doc: Document, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = doc["to"]
    message["Subject"] = doc["subject"]
    message["Message-ID"] = f"<{doc['_id'].replace('#', '.')}@msix-hub>"
    message.set_content(doc["body"])
    return message
