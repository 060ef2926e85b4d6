"""Who is asking, and may they write: sessions, API tokens, CSRF and same-origin checks.

A browser signs in at ``/login`` and holds a session cookie (HttpOnly,
SameSite=Strict). Every write made with that cookie must carry the session's
CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) AND come from this
origin (``Origin``, else ``Referer``, must name this host). A script may
instead send ``Authorization: Bearer cgu_…`` (a per-user API token from
``coalguard gateway users token``): no ambient credential, so no CSRF check.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request

from coalguard.gateway.accounts import User
from coalguard.gateway.roles import ACTIONS, may
from coalguard.gateway.service import Gateway
from coalguard.i18n import t

log = logging.getLogger("coalguard.gateway.web")

COOKIE = "cg_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Principal:
    user: User
    csrf: str | None  # None when signed by API token
    via: str  # "session" | "token"

    @property
    def operator(self) -> str:
        return self.user.operator


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def principal(gw: Gateway, request: Request, touch: bool = True) -> Principal | None:
    """The signed-in user of this request, by API token or session cookie."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = gw.accounts.by_token(auth[7:].strip())
        return Principal(user, None, "token") if user else None
    session = gw.sessions.get(request.cookies.get(COOKIE, ""), touch=touch)
    return Principal(session.user, session.csrf, "session") if session else None


def same_origin(request: Request) -> bool:
    """True when ``Origin`` (or, without it, ``Referer``) names the host that was asked."""
    host = request.headers.get("host", "")
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null" or not host:
        return False
    parts = urlsplit(claimed)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def write_allowed(request: Request, who: Principal, form_csrf: str | None) -> bool:
    """A cookie-signed write needs the session's CSRF token and this origin."""
    if who.via == "token":
        return True
    sent = request.headers.get(CSRF_HEADER) or form_csrf or ""
    return bool(
        who.csrf and hmac.compare_digest(sent.encode(), who.csrf.encode()) and same_origin(request)
    )


def refusal(
    request: Request, who: Principal, action: str, form_csrf: str | None, lang: str
) -> str | None:
    """Why this write may not go ahead (in the operator's language), or None."""
    if not write_allowed(request, who, form_csrf):
        log.warning("write refused (CSRF/origin) for %s: %s", who.user.username, action)
        return t("gw_auth.csrf", lang)
    if action in ACTIONS and not may(who.user.role, action):
        return t("gw_auth.forbidden", lang).format(
            role=t(f"gw_auth.role_{who.user.role.name}", lang),
            action=action_label(action, lang),
            needed=t(f"gw_auth.role_{ACTIONS[action].name}", lang),
        )
    return None


def action_label(action: str, lang: str) -> str:
    """A role-table action as a person reads it."""
    key = f"gw_auth.action_{action.replace('.', '_')}"
    text = t(key, lang)
    return t(f"action.{action}", lang) if text == key else text
