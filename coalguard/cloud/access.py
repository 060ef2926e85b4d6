"""Who may call a route: each route declares it once, here is how.

An operator route takes ``op: Annotated[Operator, allow(Role.ADMIN, …)]``;
a dashboard page uses ``allow_page`` (no credential: redirect to ``/login``);
routes that need no user say so with ``dependencies=[PUBLIC]``,
``dependencies=[GATEWAY_TOKEN]`` (a checkpoint gateway's own token, checked by
the route) or ``dependencies=[PROVIDER_TOKEN]`` (an SMS/voice provider's
receipt callback: the secret token in its URL, checked by the route).
``declared_access`` reads the declaration back, so a test can walk every
route and prove the role matrix.

A caller is known by a bearer token or by the dashboard's session cookie;
cookie-authenticated writes must carry ``X-CG-CSRF: 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from coalguard.cloud.api.problems import Problem
from coalguard.cloud.auth import Operator, Role, lookup
from coalguard.cloud.login_sessions import COOKIE, Lifetime, find_session

CSRF_HEADER = "x-cg-csrf"
EVERY_ROLE = tuple(Role)
# Who may acknowledge and resolve alerts (the routes and the dashboard's buttons).
ALERT_ACTORS = (Role.ADMIN, Role.OPERATOR)
# Who may edit the contact directory and the on-call rota, and reveal a contact's phone
# (an audited action); installers and offices see phones masked only.
CONTACT_EDITORS = (Role.ADMIN, Role.OPERATOR)
PHONE_REVEALERS = (Role.ADMIN, Role.OPERATOR)
# The household register (docs/households.md): operators, offices and installers read it
# (names, ID numbers and phones masked); installers add a household from a farmhouse;
# admins and operators edit, import, re-verify and reveal (audited).
HOUSEHOLD_READERS = (Role.ADMIN, Role.OPERATOR, Role.OFFICE, Role.INSTALLER)
HOUSEHOLD_ADDERS = (Role.ADMIN, Role.OPERATOR, Role.INSTALLER)
HOUSEHOLD_EDITORS = (Role.ADMIN, Role.OPERATOR)
HOUSEHOLD_REVEALERS = (Role.ADMIN, Role.OPERATOR)
# Who may acknowledge a failing lab report's referral: the office it was sent to.
REFERRAL_ACKERS = (Role.OFFICE,)
# Who keeps the coal-market register (points, plans, tasks, samples); who enters results.
MARKET_EDITORS = (Role.ADMIN, Role.MARKET)
RESULT_ENTERERS = (Role.ADMIN, Role.MARKET, Role.LAB)
# A sales point's books (docs/market.md): its clerk records purchases and sales; the
# clerk (own point only), market supervision and admins read them and may reveal a
# buyer's ID number and phone (an audited action); market supervision runs the cases.
SALES_RECORDERS = (Role.CLERK,)
BOOK_READERS = (Role.ADMIN, Role.MARKET, Role.CLERK)
BUYER_REVEALERS = (Role.ADMIN, Role.MARKET, Role.CLERK)
CASE_OFFICERS = (Role.ADMIN, Role.MARKET)
CASE_READERS = (Role.ADMIN, Role.MARKET, Role.OFFICE)
# Casework (docs/cases.md): the office and market supervision take tips, keep the issue
# ledger and the zones' loose-coal findings; opening a case stays with CASE_OFFICERS.
CASEWORKERS = (Role.ADMIN, Role.MARKET, Role.OFFICE)
# Who binds alarms to households and runs commissioning tests (the installer's phone page,
# docs/commissioning.md); installers see household names and phones masked only.
COMMISSIONERS = (Role.ADMIN, Role.OPERATOR, Role.INSTALLER)
# Grid patrols (docs/patrols.md): grid members record patrols on their phones (their own
# region), operators and admins too; operators and admins keep the grid tree and campaigns.
PATROL_RECORDERS = (Role.ADMIN, Role.OPERATOR, Role.GRID)
GRID_KEEPERS = (Role.ADMIN, Role.OPERATOR)
# The region directory (docs/regions.md): every role reads names; admins import them.
REGION_IMPORTERS = (Role.ADMIN,)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Access:
    """A route's declaration: the roles it allows, or ``public`` / ``gateway_token``."""

    roles: frozenset[Role] = frozenset()
    public: bool = False
    gateway_token: bool = False
    provider_token: bool = False
    page: bool = False


def _unauthorized(key: str, page: bool) -> HTTPException:
    if page:
        return HTTPException(303, "sign in first", headers={"Location": "/login"})
    return Problem(401, key, headers={"WWW-Authenticate": "Bearer"})


def session_lifetime(request: Request) -> Lifetime:
    st = request.app.state.settings
    return Lifetime(timedelta(seconds=st.session_idle_s), timedelta(seconds=st.session_max_s))


def identify(request: Request, bearer: str | None, *, page: bool = False) -> Operator:
    """The caller by bearer token, else by session cookie; 401 (pages: redirect) when neither."""
    sid = request.cookies.get(COOKIE)
    if not bearer and not sid:
        raise _unauthorized("missing_credential", page)
    if bearer:
        with request.app.state.sessions() as s:
            op = lookup(s, bearer)
        if op is None:
            raise _unauthorized("bad_credential", page)
    else:
        assert sid is not None
        with request.app.state.sessions.begin() as s:
            op = find_session(s, sid, request.app.state.clock.now(), session_lifetime(request))
        if op is None:
            raise _unauthorized("session_expired", page)
        if request.method not in _READS and request.headers.get(CSRF_HEADER) != "1":
            raise Problem(403, "csrf_missing", header=CSRF_HEADER)
    request.state.operator = op  # for the audit log
    return op


def _dependency(access: Access) -> Any:
    def check(
        request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Operator:
        op = identify(request, cred.credentials if cred else None, page=access.page)
        if op.role not in access.roles:
            allowed = ", ".join(sorted(access.roles))
            raise Problem(403, "role_refused", role=op.role, allowed=allowed)
        return op

    check.access = access  # type: ignore[attr-defined]
    return Depends(check)


def allow(*roles: Role) -> Any:
    """Dependency of an API route: the caller's Operator when its role is one of ``roles``."""
    return _dependency(Access(roles=frozenset(roles)))


def allow_page(*roles: Role) -> Any:
    """Like ``allow`` for a dashboard page: no or a bad credential redirects to ``/login``."""
    return _dependency(Access(roles=frozenset(roles), page=True))


def _public() -> None:
    """Marker: this route needs no credential."""


def _gateway_token() -> None:
    """Marker: this route checks a checkpoint gateway's own token itself."""


def _provider_token() -> None:
    """Marker: this route checks a provider's secret callback-URL token itself."""


_public.access = Access(public=True)  # type: ignore[attr-defined]
_gateway_token.access = Access(gateway_token=True)  # type: ignore[attr-defined]
_provider_token.access = Access(provider_token=True)  # type: ignore[attr-defined]
PUBLIC = Depends(_public)
GATEWAY_TOKEN = Depends(_gateway_token)
PROVIDER_TOKEN = Depends(_provider_token)


def declared_access(route: APIRoute) -> list[Access]:
    """Every access declaration found among a route's dependencies (a route needs exactly one)."""
    found: list[Access] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        acc = getattr(dep.call, "access", None)
        if isinstance(acc, Access):
            found.append(acc)
        stack.extend(dep.dependencies)
    return found
