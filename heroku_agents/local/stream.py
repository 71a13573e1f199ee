"""An ASGI streaming response that notices a client disconnect at once and cancels the producer.

Starlette's StreamingResponse only sees a disconnect on its next write under ASGI 2.4 servers; an
agent run can sit in a 2-minute tool call, so here a second task waits on `http.disconnect` and
cancels the run (and with it the tool's process group). The frames are produced in their own task,
so an optional heartbeat (an SSE comment, which every client ignores) can be written while a tool runs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator

import anyio
from anyio.abc import ObjectReceiveStream
from starlette.types import Receive, Scope, Send

__all__ = ["HEARTBEAT_FRAME", "SSEResponse"]

logger = logging.getLogger(__name__)
HEARTBEAT_FRAME = b":heartbeat\n\n"  # a comment: Heroku's CLI, luminaire and our decoder all skip it


class SSEResponse:
    media_type = "text/event-stream"

    def __init__(
        self, frames: AsyncIterator[bytes], *, status_code: int = 200, heartbeat: float | None = None,
        notes: ObjectReceiveStream[bytes] | None = None,
    ) -> None:
        self.frames = frames
        self.notes = notes  # frames (SSE comments) written between the events as they come, e.g. queue notices
        self.status_code = status_code
        self.heartbeat = heartbeat
        self.disconnected = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]
        sender, receiver = anyio.create_memory_object_stream[bytes](0)
        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        self.disconnected = True
                        logger.info("client disconnected; cancelling the run")
                        tg.cancel_scope.cancel()
                        return

            notes_scope = anyio.CancelScope()

            async def forward_notes(notes: ObjectReceiveStream[bytes], out: anyio.abc.ObjectSendStream[bytes]) -> None:
                with notes_scope:
                    async with out:
                        async for note in notes:
                            await out.send(note)

            async def produce() -> None:
                try:
                    async with sender:
                        async for frame in self.frames:
                            await sender.send(frame)
                finally:
                    notes_scope.cancel()  # the stream ends with the run, whatever notes are pending
                    with anyio.CancelScope(shield=True):
                        aclose = getattr(self.frames, "aclose", None)
                        if aclose is not None:
                            await aclose()

            tg.start_soon(watch)
            if self.notes is not None:
                tg.start_soon(forward_notes, self.notes, sender.clone())
            tg.start_soon(produce)
            try:
                await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
                async with receiver:
                    while True:
                        with anyio.move_on_after(self.heartbeat or math.inf) as idle:
                            try:
                                frame = await receiver.receive()
                            except anyio.EndOfStream:
                                break
                        if idle.cancelled_caught:
                            frame = HEARTBEAT_FRAME
                        await send({"type": "http.response.body", "body": frame, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                self.disconnected = True
            finally:
                tg.cancel_scope.cancel()
