"""HTTP refusals people read, in the caller's language.

A route raises ``Refusal(404, "no_alert", id=alert_id)``; the app's handler
answers ``{"detail": ...}`` from the ``cloud_err`` catalog table in the
request's language: ``Accept-Language``, else the dashboard's language cookie,
else Chinese. ``str(detail)`` of the exception itself stays English for logs.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse

from coalguard.i18n import LANGS, default_lang, t

LANG_COOKIE = "cg_lang"


class Word(str):
    """A catalog key given as a field: translated along with the message."""


def region_label(prefix: str) -> str:
    """A user's region prefix for a message; the empty prefix reads "(all)" in each language."""
    return prefix or Word("cloud_err.all_regions")


class Refusal(HTTPException):
    """An HTTP error whose words come from ``cloud_err.<key>`` with ``fields`` filled in."""

    def __init__(
        self, status_code: int, key: str, *, headers: dict[str, str] | None = None, **fields: Any
    ) -> None:
        self.key = key
        self.fields = fields
        super().__init__(status_code, self.text("en"), headers)

    def text(self, lang: str) -> str:
        fields = {k: t(v, lang) if isinstance(v, Word) else v for k, v in self.fields.items()}
        return t(f"cloud_err.{self.key}", lang).format(**fields)


def request_lang(request: Request) -> str:
    """The first known language of ``Accept-Language`` (by q), else the page cookie, else zh."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGS and q > 0:
            ranked.append((-q, n, lang))
    if ranked:
        return min(ranked)[2]
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGS else default_lang()


async def refusal_handler(request: Request, exc: Exception) -> JSONResponse:
    """``Refusal`` as JSON in the caller's language (same shape as FastAPI's errors)."""
    assert isinstance(exc, Refusal)
    lang = request_lang(request)
    headers = {**(exc.headers or {}), "Content-Language": lang}
    return JSONResponse({"detail": exc.text(lang)}, status_code=exc.status_code, headers=headers)


def alert_state_refusal(alert_id: int | str, status: str) -> Refusal:
    """409 for acting on an alert in the wrong state (the lifecycle refused)."""
    return Refusal(409, "alert_resolved" if status == "resolved" else "alert_not_open", id=alert_id)
