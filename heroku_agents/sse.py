"""Heroku's SSE framing: a pure encoder and an incremental decoder, no I/O.

Heroku writes `event:message\\ndata:<one-line JSON>\\n\\n` per completion object and ends with
`event:done\\ndata:[DONE]\\n\\n` (no space after the colon; spec 4.1). The decoder follows the
SSE rules loosely enough for every client seen in the wild: an optional space after the colon,
several `data:` lines joined with `\\n`, comments (`:heartbeat`), LF, CRLF or CR line ends,
bytes split anywhere (inside a UTF-8 character too), and unknown events handed to the caller.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

__all__ = [
    "DONE_DATA", "DONE_FRAME", "SSEDecoder", "SSEEvent", "aiter_events", "encode_done", "encode_event",
    "iter_events",
]

DONE_DATA = "[DONE]"
DONE_FRAME = b"event:done\ndata:[DONE]\n\n"


def _json_line(data: Any) -> str:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", by_alias=True)
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if not isinstance(data, str):
        data = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return data


def encode_event(event: str, data: Any) -> bytes:
    """One frame: `event:<event>\\ndata:<data>\\n\\n`.

    `data` may be a pydantic model or a JSON-able value (written as compact one-line JSON), or a
    ready string. A string with line breaks is written as several `data:` lines, as SSE requires.
    """
    if "\n" in event or "\r" in event:
        raise ValueError("an SSE event name cannot contain a line break")
    text = _json_line(data)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = "".join(f"data:{line}\n" for line in lines)
    return f"event:{event}\n{body}\n".encode()


def encode_done() -> bytes:
    """The end of an agents stream: `event:done\\ndata:[DONE]\\n\\n`."""
    return DONE_FRAME


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event. `event` defaults to "message" when the frame names none."""

    event: str
    data: str
    id: str | None = None
    retry: int | None = None

    @property
    def is_done(self) -> bool:
        """The end of the stream: `event:done`, or data `[DONE]` (Heroku's CLI accepts a bare `data: [DONE]`)."""
        return self.event == "done" or self.data.strip() == DONE_DATA

    def json(self) -> Any:
        """The data parsed as JSON. Raises `json.JSONDecodeError` when it is not JSON."""
        return json.loads(self.data)


class SSEDecoder:
    """Incremental decoder: `feed(bytes)` returns the events completed by those bytes.

    Comments and fields other than event/data/id/retry are dropped; events with an unknown name
    are returned (callers skip `heartbeat`, `ping` and such). Call `close()` at the end of the
    stream to get an event left without its terminating blank line.
    """

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._pending_cr = False
        self._started = False
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        return self._feed_text(self._utf8.decode(chunk))

    def close(self) -> list[SSEEvent]:
        """Flush: a final line and event the stream did not terminate."""
        events = self._feed_text(self._utf8.decode(b"", final=True))
        if self._buffer:
            line, self._buffer = self._buffer, ""
            self._line(line, events)
        self._dispatch(events)
        return events

    def _feed_text(self, text: str) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if not text:
            return events
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF split across chunks
        self._pending_cr = False
        self._buffer += text
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                break
            end, width = cut
            line = self._buffer[:end]
            if self._buffer[end] == "\r" and width == 1 and end + 1 == len(self._buffer):
                self._pending_cr = True  # maybe the CR of a CRLF whose LF comes next
            self._buffer = self._buffer[end + width:]
            self._line(line, events)
        return events

    def _line(self, line: str, events: list[SSEEvent]) -> None:
        if line == "":
            self._dispatch(events)
            return
        if line.startswith(":"):
            return  # comment / keep-alive
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._data or self._event:
            events.append(SSEEvent(self._event or "message", "\n".join(self._data), self._id, self._retry))
        self._event, self._data = None, []


def _line_end(buffer: str) -> tuple[int, int] | None:
    """Index and width of the first line terminator (CRLF, LF or CR)."""
    lf, cr = buffer.find("\n"), buffer.find("\r")
    if cr == -1 and lf == -1:
        return None
    if cr == -1 or (lf != -1 and lf < cr):
        return lf, 1
    return cr, 2 if buffer.startswith("\n", cr + 1) else 1


def iter_events(chunks: Iterable[bytes]) -> Iterator[SSEEvent]:
    """Decode a byte stream into events (including the unterminated last one)."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


async def aiter_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    """`iter_events` for an async byte stream, e.g. `httpx.Response.aiter_bytes()`."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event
