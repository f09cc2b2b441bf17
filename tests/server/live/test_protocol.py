"""Message table, validation and error replies, close codes, outbound encoding."""

from __future__ import annotations

import json

import pytest
from realtime_factories import join, texts

from server.live.core.protocol import (
    EMOTES,
    MESSAGES,
    NOTICE_KINDS,
    CloseCode,
    Hello,
    Notice,
    ProtocolError,
    notice,
    parse_client_message,
    parse_hello,
)
from server.live.core.room import Room

VALID = {
    "hello": [{"type": "hello"}, {"type": "hello", "v": 1, "resume": "abc_-1", "group": "cart-9", "locale": "ko"}],
    "focus": [{"type": "focus", "sku": "SKU-1"}, {"type": "focus", "sku": None}, {"type": "focus", "sku": "한복-1"}],
    "chat": [{"type": "chat", "text": "안녕하세요"}, {"type": "chat", "text": "x" * 500}],
    "emote": [{"type": "emote", "name": e} for e in EMOTES],
    "ping": [{"type": "ping", "t": 0}, {"type": "ping", "t": 1234.5}],
}
INVALID = {
    "hello": [{"type": "hello", "v": 2}, {"type": "hello", "resume": "has space"}, {"type": "hello", "locale": "fr"},
              {"type": "hello", "extra": 1}],
    "focus": [{"type": "focus"}, {"type": "focus", "sku": ""}, {"type": "focus", "sku": "x" * 65},
              {"type": "focus", "sku": "a\nb"}, {"type": "focus", "sku": 5}],
    "chat": [{"type": "chat", "text": ""}, {"type": "chat", "text": "   "}, {"type": "chat", "text": "x" * 501},
             {"type": "chat"}],
    "emote": [{"type": "emote", "name": "dance"}, {"type": "emote"}],
    "ping": [{"type": "ping"}, {"type": "ping", "t": "soon"}, {"type": "ping", "t": float("nan")}],
}


def test_table_covers_every_client_type_and_each_handler_exists() -> None:
    assert set(MESSAGES) == {"hello", "focus", "look", "chat", "emote", "ping"}
    for spec in MESSAGES.values():
        assert callable(getattr(Room, spec.handler))
        assert spec.rate > 0 and spec.burst >= 1


@pytest.mark.parametrize(("kind", "obj"), [(k, o) for k, objs in VALID.items() for o in objs])
def test_valid_messages_parse_to_their_model(kind: str, obj: dict[str, object]) -> None:
    msg = parse_client_message(json.dumps(obj))
    assert isinstance(msg, MESSAGES[kind].model)


@pytest.mark.parametrize(("kind", "obj"), [(k, o) for k, objs in INVALID.items() for o in objs])
def test_invalid_messages_raise_invalid(kind: str, obj: dict[str, object]) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_client_message(json.dumps(obj))
    assert err.value.code == "invalid"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("{nope", "bad_json"), (b"\xff\xfe", "bad_json"), ("[1, 2]", "bad_message"), ('{"t": 1}', "bad_message"),
     ('{"type": 3}', "bad_message"), ('{"type": "pose"}', "unknown_type"), ('{"type": "x"}', "unknown_type"),
     ("x" * (64 * 1024 + 1), "too_large")],
)
def test_malformed_frames(raw: str | bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_client_message(raw)
    assert err.value.code == code


def test_parse_hello_requires_hello_first() -> None:
    assert isinstance(parse_hello('{"type":"hello","group":"c1"}'), Hello)
    with pytest.raises(ProtocolError) as err:
        parse_hello('{"type":"ping","t":1}')
    assert err.value.code == "bad_hello"


@pytest.mark.parametrize(("kind", "obj"), [(k, o) for k, objs in INVALID.items() for o in objs[:1]])
def test_room_replies_error_to_invalid_message(kind: str, obj: dict[str, object]) -> None:
    room = Room("s", 1)
    me = join(room, 1)
    out = room.handle(me.peer_id, json.dumps(obj), now=1.0)
    [reply] = texts(out, 1)
    assert reply["type"] == "error" and reply["code"] == "invalid" and reply["message"]


def test_room_replies_to_unknown_type_and_second_hello() -> None:
    room = Room("s", 1)
    me = join(room, 1)
    assert texts(room.handle(me.peer_id, '{"type":"teleport"}', now=1.0))[0]["code"] == "unknown_type"
    assert texts(room.handle(me.peer_id, '{"type":"hello"}', now=1.0))[0]["code"] == "already_joined"


def test_ping_gets_pong_with_server_time() -> None:
    room = Room("s", 1)
    me = join(room, 1)
    [pong] = texts(room.handle(me.peer_id, '{"type":"ping","t":42.5}', now=3.25))
    assert pong == {"type": "pong", "t": 42.5, "server_ms": 3250}


def test_close_codes_are_unique_application_codes() -> None:
    values = [c.value for c in CloseCode]
    assert len(set(values)) == len(values)
    assert all(4000 <= v < 5000 for v in values)
    assert CloseCode.STORE_FULL == 4004 and CloseCode.REPLACED == 4008


def test_notice_kinds_encode_and_unknown_kind_is_rejected() -> None:
    for kind in NOTICE_KINDS:
        assert json.loads(notice(kind, at="2026-05-01T00:00:00Z"))["kind"] == kind
    with pytest.raises(ValueError):
        Notice.model_validate({"kind": "party"})
