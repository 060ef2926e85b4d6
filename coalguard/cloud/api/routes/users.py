"""Routes of access control: login (dashboard session), users, tokens, audit log.

Login and token issuing are rate limited per client address (behind a trusted
proxy: the forwarded address). An admin with a region prefix manages only users
inside it, and reads only the audit entries of actors inside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from coalguard.cloud import audit
from coalguard.cloud.access import PUBLIC
from coalguard.cloud.api.deps import Admin, ClockDep, Reader, RegionQuery, SessionDep
from coalguard.cloud.api.problems import Problem
from coalguard.cloud.api.responses import problems
from coalguard.cloud.auth import (
    CloudUser,
    Operator,
    add_user,
    find_user,
    lookup,
    new_token,
    revoke_user,
)
from coalguard.cloud.login_sessions import COOKIE, end_session, open_session
from coalguard.cloud.ratelimit import SlidingWindow, enforce
from coalguard.cloud.scope import aware, scoped_region
from coalguard.edge.plain import plain
from coalguard.i18n import DEFAULT_LANG

router = APIRouter(prefix="/api/v1", tags=["access"])

LOGIN_LIMIT = SlidingWindow(limit=10, window_s=60.0)
TOKEN_LIMIT = SlidingWindow(limit=20, window_s=60.0)


def _limits(request: Request) -> tuple[SlidingWindow, SlidingWindow]:
    st = request.app.state
    if not hasattr(st, "login_limit"):
        st.login_limit = SlidingWindow(LOGIN_LIMIT.limit, LOGIN_LIMIT.window_s)
        st.token_limit = SlidingWindow(TOKEN_LIMIT.limit, TOKEN_LIMIT.window_s)
    return st.login_limit, st.token_limit


class Login(BaseModel):
    token: str = Field(min_length=8, max_length=200, examples=["cgt_3q2…"])


class Me(BaseModel):
    name: str
    role: str
    region_prefix: str
    personal_data: bool
    lang: str  # the user's own language setting (Chinese when not chosen)


class LoggedOut(BaseModel):
    status: str


class UserOut(BaseModel):
    name: str
    role: str
    region_prefix: str
    personal_data: bool
    created_at: str
    revoked: bool


class NewUserOut(UserOut):
    token: str


class TokenOut(BaseModel):
    name: str
    token: str


class RevokedOut(BaseModel):
    name: str
    revoked: bool
    tokens_revoked: int


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: str
    role: str
    actor_region: str
    action: str
    status: int
    client: str
    detail: dict[str, Any]


def whoami(op: Operator) -> dict[str, Any]:
    return {
        **plain(op, ("name", "role", "region_prefix")),
        "personal_data": op.sees_personal_data,
        "lang": op.lang or DEFAULT_LANG,
    }


class LangChoice(BaseModel):
    lang: Literal["zh", "en"]


@router.put("/auth/me/lang", response_model=LangChoice, responses=problems(404))
def set_my_lang(request: Request, op: Reader, body: LangChoice) -> LangChoice:
    """The caller's own language for pages and messages (the dashboard's switch)."""
    with request.app.state.sessions.begin() as s:
        user = s.get(CloudUser, op.user_id)
        if user is None:
            raise Problem(404, "no_user", name=op.name)
        user.lang = body.lang
    return body


@router.post("/auth/login", dependencies=[PUBLIC], response_model=Me, responses=problems(401, 429))
def login(request: Request, response: Response, clock: ClockDep, body: Login) -> dict[str, Any]:
    """Exchange a token for a server-side session; the HttpOnly cookie holds only its id."""
    enforce(_limits(request)[0], request, "login")
    with request.app.state.sessions.begin() as s:
        op = lookup(s, body.token)
        if op is None:
            raise Problem(401, "bad_credential")
        sid = open_session(s, op, body.token, clock.now())
    request.state.operator = op
    secure = request.url.scheme == "https"  # behind a trusted proxy: X-Forwarded-Proto
    max_age = int(request.app.state.settings.session_max_s)
    response.set_cookie(
        COOKIE, sid, httponly=True, samesite="strict", secure=secure, max_age=max_age
    )
    return whoami(op)


@router.post("/auth/logout", dependencies=[PUBLIC], response_model=LoggedOut)
def logout(request: Request, response: Response) -> dict[str, str]:
    """End this browser's session on the server (the cookie alone is worthless after)."""
    sid = request.cookies.get(COOKIE)
    if sid:
        with request.app.state.sessions.begin() as s:
            end_session(s, sid)
    response.delete_cookie(COOKIE)
    return {"status": "logged out"}


@router.get("/auth/me", response_model=Me)
def me(op: Reader) -> dict[str, Any]:
    return whoami(op)


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["county-officer-130102"])
    role: Literal["admin", "operator", "installer", "gateway"] = "operator"
    region_prefix: str = Field("", pattern=r"^[0-9]{0,12}$", examples=["130102"])
    personal_data: bool = False


def user_view(u: CloudUser) -> dict[str, Any]:
    fields = ("name", "role", "region_prefix", "personal_data", "created_at", "revoked")
    return plain(u, fields, iso=("created_at",))


@router.get("/users", response_model=list[UserOut])
def list_users(op: Admin, s: SessionDep) -> list[dict[str, Any]]:
    rows = s.scalars(
        select(CloudUser)
        .where(CloudUser.region_prefix.startswith(op.region_prefix))
        .order_by(CloudUser.name)
    )
    return [user_view(u) for u in rows]


@router.post("/users", status_code=201, response_model=NewUserOut, responses=problems(409, 429))
def create_user(request: Request, op: Admin, clock: ClockDep, body: NewUser) -> dict[str, Any]:
    """Create a user and its first token (the token is in this answer only)."""
    enforce(_limits(request)[1], request, "token")
    if not body.region_prefix.startswith(op.region_prefix):
        raise Problem(403, "region_refused", region=op.region_prefix or "(all)")
    with request.app.state.sessions.begin() as s:
        try:
            user = add_user(
                s,
                body.name,
                body.role,
                body.region_prefix,
                personal_data=body.personal_data,
                now=clock.now(),
            )
        except ValueError as exc:
            raise Problem(409, "conflict", reason=exc) from None
        token = new_token(s, user, "api", now=clock.now())
        return {**user_view(user), "token": token}


def _managed(s: Any, op: Operator, name: str) -> CloudUser:
    try:
        user = find_user(s, name)
    except ValueError:
        raise Problem(404, "no_user", name=name) from None
    if not user.region_prefix.startswith(op.region_prefix):
        raise Problem(404, "no_user", name=name)
    return user


@router.post(
    "/users/{name}/tokens",
    status_code=201,
    response_model=TokenOut,
    responses=problems(404, 409, 429),
)
def create_token(request: Request, op: Admin, clock: ClockDep, name: str) -> dict[str, str]:
    enforce(_limits(request)[1], request, "token")
    with request.app.state.sessions.begin() as s:
        user = _managed(s, op, name)
        try:
            return {"name": user.name, "token": new_token(s, user, "api", now=clock.now())}
        except ValueError as exc:
            raise Problem(409, "conflict", reason=exc) from None


@router.post("/users/{name}/revoke", response_model=RevokedOut, responses=problems(404))
def revoke(request: Request, op: Admin, name: str) -> dict[str, Any]:
    with request.app.state.sessions.begin() as s:
        _managed(s, op, name)
        n = revoke_user(s, name)
        return {"name": name, "revoked": True, "tokens_revoked": n}


class AuditQuery(RegionQuery):
    """``region``: of the actors (default: the admin's own); ``since``: UTC without a zone."""

    actor: str | None = None
    since: datetime | None = None
    limit: int = Field(200, ge=1, le=5000)


@router.get("/audit", response_model=list[AuditEntryOut])
def audit_log(op: Admin, s: SessionDep, q: Annotated[AuditQuery, Query()]) -> list[dict[str, Any]]:
    """Every write, newest first: those of actors in ``region`` (default: the admin's own)."""
    region = scoped_region(op, q.region)
    return audit.entries(s, region=region, actor=q.actor, since=aware(q.since), limit=q.limit)
