"""Heroku's SSE framing: the encoder writes the spec's bytes; the decoder survives real-world streams."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spec_examples import SPEC_STREAM

from heroku_agents.models import parse_event
from heroku_agents.sse import DONE_FRAME, SSEDecoder, SSEEvent, aiter_events, encode_done, encode_event, iter_events

pytestmark = pytest.mark.anyio


def _spec_events() -> list[SSEEvent]:
    return list(iter_events([SPEC_STREAM]))


def test_encoding_the_decoded_spec_stream_gives_back_its_exact_bytes() -> None:
    events = _spec_events()
    encoded = b"".join(
        encode_done() if e.is_done else encode_event(e.event, parse_event(e.data)) for e in events
    )
    assert encoded == SPEC_STREAM


def test_done_frame_is_event_done_data_done() -> None:
    assert DONE_FRAME == b"event:done\ndata:[DONE]\n\n"
    assert encode_event("done", "[DONE]") == DONE_FRAME


def test_decoder_yields_three_messages_then_done() -> None:
    events = _spec_events()
    assert [(e.event, e.is_done) for e in events] == [("message", False)] * 3 + [("done", True)]
    assert [e.json()["object"] for e in events[:3]] == ["chat.completion", "tool.completion", "chat.completion"]


def test_decoder_gives_the_same_events_for_every_two_way_split() -> None:
    expected = _spec_events()
    for cut in range(len(SPEC_STREAM) + 1):
        decoder = SSEDecoder()
        got = decoder.feed(SPEC_STREAM[:cut]) + decoder.feed(SPEC_STREAM[cut:]) + decoder.close()
        assert got == expected, f"split at byte {cut}"


def test_decoder_gives_the_same_events_fed_one_byte_at_a_time() -> None:
    chunks = [SPEC_STREAM[i:i + 1] for i in range(len(SPEC_STREAM))]
    assert list(iter_events(chunks)) == _spec_events()


def test_decoder_accepts_crlf_and_cr_line_ends_split_between_chunks() -> None:
    crlf = SPEC_STREAM.replace(b"\n", b"\r\n")
    cr = SPEC_STREAM.replace(b"\n", b"\r")
    for stream in (crlf, cr):
        for cut in range(0, len(stream), 97):
            assert list(iter_events([stream[:cut], stream[cut:]])) == _spec_events()
    # a CRLF whose LF arrives in the next chunk is one line end, not two
    assert list(iter_events([b"data:a\r", b"\ndata:b\r\n\r\n"])) == [SSEEvent("message", "a\nb")]
    assert list(iter_events([b"data:a\r", b"", b"\ndata:b\r", b"\r"])) == [SSEEvent("message", "a\nb")]


def test_decoder_tolerates_the_space_after_the_colon_and_joins_multiline_data() -> None:
    stream = b"event: message\ndata: {\"a\":\ndata:  1}\n\nevent: done\ndata: [DONE]\n\n"
    assert list(iter_events([stream])) == [SSEEvent("message", '{"a":\n 1}'), SSEEvent("done", "[DONE]")]


def test_comments_are_dropped_and_unknown_events_are_passed_through() -> None:
    stream = b":heartbeat\n\nevent:heartbeat\ndata:heartbeat\n\nevent:ping\n\n: keep-alive\ndata:{}\n\n"
    assert list(iter_events([stream])) == [
        SSEEvent("heartbeat", "heartbeat"),
        SSEEvent("ping", ""),
        SSEEvent("message", "{}"),
    ]


def test_a_bare_data_done_line_ends_the_stream() -> None:
    (event,) = iter_events([b"data: [DONE]\n\n"])
    assert event.is_done and event.event == "message"


def test_multibyte_characters_split_across_chunks_survive() -> None:
    payload = encode_event("message", {"content": "Größe ✓ 数据"})
    for cut in range(len(payload) + 1):
        (event,) = iter_events([payload[:cut], payload[cut:]])
        assert event.json() == {"content": "Größe ✓ 数据"}


def test_an_unterminated_last_event_is_flushed_on_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event:done\ndata:[DONE]") == []
    assert decoder.close() == [SSEEvent("done", "[DONE]")]


def test_byte_order_mark_id_and_retry_fields_are_handled() -> None:
    stream = b"\xef\xbb\xbfid:7\nretry:1500\ndata:x\n\n"
    assert list(iter_events([stream])) == [SSEEvent("message", "x", id="7", retry=1500)]


def test_encoder_writes_compact_one_line_json_and_splits_text_lines() -> None:
    assert encode_event("message", {"a": [1, 2], "b": "x\ny"}) == b'event:message\ndata:{"a":[1,2],"b":"x\\ny"}\n\n'
    assert encode_event("note", "two\nlines") == b"event:note\ndata:two\ndata:lines\n\n"
    with pytest.raises(ValueError):
        encode_event("bad\nname", {})


async def test_async_decoder_matches_the_sync_one() -> None:
    async def chunks():
        for i in range(0, len(SPEC_STREAM), 13):
            yield SPEC_STREAM[i:i + 13]

    assert [e async for e in aiter_events(chunks())] == _spec_events()
    assert json.loads(_spec_events()[0].data)["id"] == "chatcmpl-184410e4ae2b7bb5180ae"


_names = st.sampled_from(["message", "done", "heartbeat", "error"])
_payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(events=st.lists(st.tuples(_names, _payloads), min_size=1, max_size=5), cuts=st.lists(st.integers(0, 10_000), max_size=8),
       newline=st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_any_encoded_events_decode_back_whatever_the_chunking_and_line_ends(events, cuts, newline) -> None:
    stream = b"".join(encode_event(name, {"v": payload}) for name, payload in events).replace(b"\n", newline)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    decoded = list(iter_events(chunks))
    assert [(e.event, e.json()) for e in decoded] == [(name, {"v": payload}) for name, payload in events]
