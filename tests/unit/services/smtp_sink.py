"""A loopback SMTP server for the notice tests: speaks enough SMTP for `smtplib`, keeps what it
receives, and can refuse recipients to exercise retries."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Sink:
    port: int = 0
    received: list[Message] = field(default_factory=list)
    refuse_recipients: bool = False


class _Handler(socketserver.StreamRequestHandler):
    sink: Sink

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._reply("220 sink.invalid ESMTP test sink")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-sink.invalid")
                self._reply("250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "RCPT":
                self._reply("550 no such mailbox" if self.sink.refuse_recipients else "250 OK")
            elif verb == "DATA":
                self._reply("354 end with <CRLF>.<CRLF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.sink.received.append(message_from_bytes(bytes(data)))
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


@contextmanager
def smtp_sink() -> Iterator[Sink]:
    sink = Sink()
    handler = type("Handler", (_Handler,), {"sink": sink})
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        sink.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield sink
        finally:
            server.shutdown()
            thread.join()
