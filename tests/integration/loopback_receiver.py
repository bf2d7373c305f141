"""A loopback receiver for push delivery tests: a second FastAPI app, served by uvicorn on a
real port, that answers pushes as a state system would (acknowledge, fail, accept without
acknowledging, reject) and checks the hub's signature on each."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI, Request, Response

from hub.errors import Issue, IssueCode, Severity
from hub.messages.bodies import AckLevel, Acknowledgement, AckResult
from hub.messages.body_xml import body_element
from hub.messages.envelope import (
    HUB,
    Header,
    MessageType,
    build_message,
    new_message_id,
    parse_message,
)
from hub.messages.signature import SIGNATURE_HEADER, verify_push_signature

MAX = 2 * 1024 * 1024


@dataclass
class Receiver:
    """What the loopback receiver got, and how it answers the next pushes."""

    url: str
    script: list[str] = field(default_factory=list)  # "ack", "reject", "202", "503", ...
    pushes: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    secret: str = ""
    signatures_valid: list[bool] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> list[str]:
        return [parse_message(data, max_bytes=MAX).header.message_id for data, _ in self.pushes]


def _receiver_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/inbox")
    async def inbox(request: Request) -> Response:
        data = await request.body()
        with receiver.lock:
            receiver.pushes.append((data, dict(request.headers)))
            signature = request.headers.get(SIGNATURE_HEADER)
            receiver.signatures_valid.append(
                verify_push_signature(receiver.secret, data, signature, now=datetime.now(UTC))
            )
            behaviour = receiver.script.pop(0) if receiver.script else "ack"
        if behaviour.isdigit():
            return Response(status_code=int(behaviour))
        header = parse_message(data, max_bytes=MAX).header
        if behaviour == "reject":
            issue = Issue(Severity.ERROR, IssueCode.NOT_FOUND, "no such school", "/Message")
            ack = Acknowledgement(
                AckLevel.PROCESSED, AckResult.REJECTED, header.message_id, issues=(issue,)
            )
        else:
            ack = Acknowledgement(AckLevel.RECEIPT, AckResult.ACCEPTED, header.message_id)
        reply = Header(
            message_id=new_message_id(),
            message_type=MessageType.ACKNOWLEDGEMENT,
            sender=header.receiver if header.receiver.state else HUB,
            receiver=HUB,
            created=datetime.now(UTC),
            in_reply_to=header.message_id,
        )
        return Response(build_message(reply, body_element(ack)), media_type="application/xml")

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(f"http://127.0.0.1:{port}/inbox")
    server = uvicorn.Server(
        uvicorn.Config(_receiver_app(state), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the loopback receiver did not start"
        time.sleep(0.02)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=20)
