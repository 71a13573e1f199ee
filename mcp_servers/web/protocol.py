"""uvicorn's h11 protocol with a deadline on each request head (uvicorn itself has none).

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) and h11 caps the head's size, but a
client that opens a connection and trickles its request line and headers is kept forever; enough of them
use up `limit_concurrency` and every new request gets 503. Here each head must be complete within
`head_timeout_s` of the connection opening (or of the first byte after a keep-alive pause), or the
connection is closed. Bodies have their own deadline in the Guard.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["head_deadline_protocol"]

logger = logging.getLogger(__name__)


class _HeadDeadlineH11Protocol(H11Protocol):
    head_timeout_s: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            if self._head_timer is None:  # first bytes of a new head after a keep-alive pause
                self._arm_head_timer()
        else:
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._cancel_head_timer()  # the keep-alive timer watches the idle gap; data_received re-arms

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.info("closing a connection whose request head did not arrive within %ss", self.head_timeout_s)
            self.transport.close()


def head_deadline_protocol(head_timeout_s: float) -> type[H11Protocol]:
    """The protocol class to hand to uvicorn (`http=`), with this head deadline."""
    return type("HeadDeadlineH11Protocol", (_HeadDeadlineH11Protocol,), {"head_timeout_s": head_timeout_s})
