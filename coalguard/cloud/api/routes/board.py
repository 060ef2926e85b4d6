"""The live alarm board and the CO alarm history: dashboard pages and the board's event stream.

``/board`` renders the active CO alarms of the user's region, newest first, under
the area outages that touch it (``cloud/board/outages.py``);
``/board/events`` streams what changes (``cloud/board/stream.py``; the cards
are rendered here with the same template as the page, in the user's
language). ``/history`` and its village and household pages show past alarms
and response times (``cloud/board/history.py``). Every view is region scoped.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from coalguard.cloud import templating
from coalguard.cloud.access import EVERY_ROLE, allow
from coalguard.cloud.api.routes.dashboard import Viewer, page_lang, render_page
from coalguard.cloud.auth import Operator
from coalguard.cloud.board.feed import BoardFeed, Change, parse_cursor
from coalguard.cloud.board.history import occurrences, summarize
from coalguard.cloud.board.outages import OutageBanner
from coalguard.cloud.board.stream import Timing, board_events
from coalguard.cloud.co.tables import CoDevice
from coalguard.cloud.scope import is_region_code
from coalguard.i18n import t

router = APIRouter(include_in_schema=False)
# The event stream is an API of its own (in the OpenAPI document).
stream_router = APIRouter(tags=["board"])

# The stream answers 401 (not a redirect to the login page): EventSource cannot follow one.
StreamReader = Annotated[Operator, allow(*EVERY_ROLE)]
Days = Annotated[int, Query(ge=1, le=366)]


@router.get("/board")
def board_page(request: Request, op: Viewer) -> Response:
    """Active CO alarms, newest first; the page then follows ``/board/events``."""
    with request.app.state.sessions() as s:
        feed = BoardFeed(op, None, request.app.state.clock)
        poll = feed.poll(s)
    cards = [c.card for c in reversed(poll.changes) if c.card is not None]
    outages = poll.outages or []
    return render_page(request, "board.html", op, cards=cards, cursor=poll.cursor, outages=outages)


def _outages_data(banners: list[OutageBanner], lang: str) -> dict[str, Any]:
    """The area outage banners, rendered as the page renders them."""
    html = templating.render("dashboard/board_outages.html", lang, outages=banners)
    return {"ids": [o.id for o in banners], "html": html}


def _change_data(ch: Change, lang: str) -> dict[str, Any]:
    card = ch.card
    if card is None:
        return {"id": ch.alert_id}
    ppm = "—" if card.co_ppm is None else f"{card.co_ppm:g}"
    return {
        "id": card.id,
        "status": card.status,
        "new": ch.new,
        "html": templating.render("dashboard/board_card.html", lang, card=card),
        "title": t("board.notify_title", lang).format(village=card.village),
        "body": t("board.notify_body", lang).format(
            household=card.household, address=card.address, ppm=ppm
        ),
    }


class BoardEvent(BaseModel):
    """One event of the stream: its ``event:``, ``id:`` and ``data:`` lines.

    ``snapshot``: ``{"ids": [...]}``; ``alarm``: ``{"id", "status", "new", "html", "title",
    "body"}``; ``gone``: ``{"id"}``; ``outages``: ``{"ids", "html"}`` (the area outage
    banners, all of them, whenever they change). ``id``: the cursor to resume after
    (``Last-Event-ID``).
    """

    event: Literal["snapshot", "alarm", "gone", "outages"]
    id: str
    data: dict[str, Any]


@stream_router.get(
    "/board/events",
    response_class=StreamingResponse,
    response_model=BoardEvent,
    responses={
        200: {
            "description": "server-sent events: snapshot, alarm, gone, outages; heartbeat comments",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def board_stream(
    request: Request,
    op: StreamReader,
    after: str | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-sent events of the user's board: resumes after ``Last-Event-ID`` (or ``after``).

    A client that does not accept ``text/event-stream`` (EventSource always does) gets
    one look: the events due now, then the end of the stream.
    """
    lang = page_lang(request, op)
    st = request.app.state.settings
    feed = BoardFeed(
        op, parse_cursor(last_event_id) or parse_cursor(after), request.app.state.clock
    )
    events = board_events(
        feed,
        request.app.state.sessions,
        lambda ch: _change_data(ch, lang),
        Timing(
            st.board_poll_s,
            st.board_heartbeat_s,
            st.board_stream_s,
            once="text/event-stream" not in request.headers.get("accept", ""),
        ),
        request.app.state.board_streams,
        lambda banners: _outages_data(banners, lang),
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/history")
def history_page(request: Request, op: Viewer, days: Days = 30) -> Response:
    """CO alarms of the last ``days`` per village, with response times."""
    since = request.app.state.clock.now() - timedelta(days=days)
    with request.app.state.sessions() as s:
        occ = occurrences(s, op.region_prefix, op.sees_personal_data, since=since)
    return render_page(
        request, "history.html", op, days=days, villages=summarize(occ, "village"), occ=occ[:100]
    )


@router.get("/history/villages/{village_code}")
def village_history(request: Request, op: Viewer, village_code: str, days: Days = 90) -> Response:
    """One village's CO alarms per household, and each alarm with who answered how soon."""
    if not is_region_code(village_code) or not op.covers(village_code):
        return render_page(
            request,
            "not_found.html",
            op,
            http_status=404,
            message="board.no_village",
            subject=village_code,
        )
    since = request.app.state.clock.now() - timedelta(days=days)
    with request.app.state.sessions() as s:
        occ = occurrences(s, village_code, op.sees_personal_data, since=since)
    return render_page(
        request,
        "history_village.html",
        op,
        days=days,
        village=village_code,
        total=summarize(occ, "village"),
        households=summarize(occ, "device_id"),
        occ=occ,
    )


@router.get("/history/households/{device_id}")
def household_history(request: Request, op: Viewer, device_id: str, days: Days = 366) -> Response:
    """Every CO alarm of one household's alarm (the device bound to it)."""
    since = request.app.state.clock.now() - timedelta(days=days)
    with request.app.state.sessions() as s:
        dev = s.get(CoDevice, device_id)
        if dev is None or not op.covers(dev.region_code):
            return render_page(
                request,
                "not_found.html",
                op,
                http_status=404,
                message="dash.no_alarm",
                subject=device_id,
            )
        occ = occurrences(
            s, dev.region_code, op.sees_personal_data, since=since, device_id=device_id
        )
    return render_page(
        request,
        "history_household.html",
        op,
        days=days,
        device_id=device_id,
        village=dev.region_code,
        total=summarize(occ, "device_id"),
        occ=occ,
    )
