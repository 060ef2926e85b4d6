"""The board's server-sent events (``text/event-stream``): a poll loop per connection.

Events: ``snapshot`` (a fresh stream: the alarm ids on the board, in order),
``alarm`` (one card, new or changed), ``gone`` (resolved: remove it) and
``outages`` (the area outage banners, whenever they change); each
carries the feed's cursor as its ``id``, which the browser sends back as
``Last-Event-ID`` when it reconnects. An idle stream sends a ``: heartbeat``
comment every ``heartbeat_s`` (proxies keep it open, the browser knows it
lives). A stream ends by itself after ``lifetime_s`` (the browser reconnects
where it left off), so a replica shutting down never waits on it for long, and
after its first look when the client did not ask for ``text/event-stream``;
a client going away cancels it (Starlette), and ``OpenStreams`` counts the
streams running so tests and metrics see none leak.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi.sse import format_sse_event
from sqlalchemy.orm import sessionmaker

from coalguard.cloud.board.feed import BoardFeed, Change, Poll
from coalguard.cloud.board.outages import OutageBanner

RETRY_MS = 1000  # how soon a browser reconnects after the stream ends
HEARTBEAT = b": heartbeat\n\n"


@dataclass(frozen=True)
class Timing:
    poll_s: float
    heartbeat_s: float
    lifetime_s: float  # 0: until the client leaves
    once: bool = False  # one look, then the stream ends (a client not asking for a stream)


@dataclass
class OpenStreams:
    """How many board streams this process is serving now, and how many ever."""

    now: int = 0
    total: int = 0
    polls: int = field(default=0)


def event(name: str, data: dict[str, Any], cursor: int) -> bytes:
    return format_sse_event(
        event=name, data_str=json.dumps(data, ensure_ascii=False), id=str(cursor)
    )


def _poll(sessions: sessionmaker, feed: BoardFeed) -> Poll:
    with sessions() as s:
        return feed.poll(s)


async def board_events(
    feed: BoardFeed,
    sessions: sessionmaker,
    render: Callable[[Change], dict[str, Any]],
    timing: Timing,
    streams: OpenStreams,
    render_outages: Callable[[list[OutageBanner]], dict[str, Any]] = lambda _: {},
) -> AsyncIterator[bytes]:
    """The stream of one board: poll, send what changed, heartbeat when idle."""
    streams.now += 1
    streams.total += 1
    try:
        yield format_sse_event(comment="coalguard alarm board", retry=RETRY_MS)
        start = last = anyio.current_time()
        while True:
            poll = await anyio.to_thread.run_sync(_poll, sessions, feed)
            streams.polls += 1
            now = anyio.current_time()
            if poll.snapshot is not None:
                yield event("snapshot", {"ids": poll.snapshot}, poll.cursor)
                last = now
            for ch in poll.changes:
                yield event("alarm" if ch.card else "gone", render(ch), poll.cursor)
                last = now
            if poll.outages is not None:
                yield event("outages", render_outages(poll.outages), poll.cursor)
                last = now
            if now - last >= timing.heartbeat_s:
                yield HEARTBEAT
                last = now
            if timing.once or (timing.lifetime_s and now - start >= timing.lifetime_s):
                return
            await anyio.sleep(timing.poll_s)
    finally:
        streams.now -= 1
