"""Refusals as RFC 9457 problem documents, worded in the caller's language.

A route refuses by raising ``Problem(status, key, **params)``: the title comes
from the catalog by status (``problem.title_<status>``), the detail from
``problem.<key>`` filled with ``params``, both in the request's language
(``Accept-Language``, else the caller's own setting, else Chinese). Plain
``HTTPException``s, validation errors and the domain errors named in
``DOMAIN_ERRORS`` are turned into the same shape, so every refusal the API
sends is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance`` (422 adds ``errors``: one per field).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from coalguard import validation
from coalguard.cloud.alert_lifecycle import AlertStateError
from coalguard.errors import InputError, Refusal, fill
from coalguard.i18n import DEFAULT_LANG, LANGS, t

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:coalguard:problem:"
# Domain errors a route may let through: the status they mean and their catalog key.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    AlertStateError: (409, "conflict"),
    InputError: (422, "invalid"),
}


class Problem(StarletteHTTPException):
    """A refusal with a catalog key; ``detail`` keeps the English text for logs."""

    def __init__(
        self,
        status: int,
        key: str,
        *,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.key = key
        self.params = params
        super().__init__(status, _text(key, "en", params), dict(headers or {}))


def _text(key: str, lang: str, params: Mapping[str, Any]) -> str:
    """``problem.<key>`` in ``lang``; a parameter that is a worded error is worded in it too."""
    return fill(t(key if "." in key else f"problem.{key}", lang), params, lang)


def header_lang(accept_language: str) -> str | None:
    """The catalog language an ``Accept-Language`` header ranks first, if it names one."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, q = part.strip().partition(";q=")
        lang = tag.strip().lower().split("-")[0]
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if lang in LANGS and weight > 0:
            ranked.append((-weight, i, lang))
    return min(ranked)[2] if ranked else None


def request_lang(request: Request) -> str:
    """``Accept-Language`` when it names a catalog language, else the caller's, else Chinese."""
    lang = header_lang(request.headers.get("accept-language", ""))
    if lang:
        return lang
    own = getattr(getattr(request.state, "operator", None), "lang", None)
    return own if own in LANGS else DEFAULT_LANG


def problem_response(
    request: Request,
    status: int,
    key: str,
    params: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    type_: str | None = None,
) -> JSONResponse:
    """One problem document for ``request``, worded in its language."""
    body = problem_body(status, key, params, request_lang(request), request.url.path, type_)
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=MEDIA_TYPE
    )


def problem_body(
    status: int,
    key: str,
    params: Mapping[str, Any] | None,
    lang: str | None,
    instance: str,
    type_: str | None = None,
) -> dict[str, Any]:
    """The RFC 9457 fields of a refusal in ``lang`` (default Chinese), for any server."""
    lang = lang or DEFAULT_LANG
    return {
        "type": type_ or TYPE_PREFIX + key,
        "title": t(f"problem.title_{status}", lang)
        if status in TITLED
        else t("problem.title", lang),
        "status": status,
        "detail": _text(key, lang, params or {}),
        "instance": instance,
    }


# Statuses with a title of their own in the catalogs (others use ``problem.title``).
TITLED = frozenset({400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503})


async def _http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 400:  # a redirect (a page's "sign in first"): no body to word
        return Response(status_code=exc.status_code, headers=exc.headers)
    if isinstance(exc, Problem):
        return problem_response(request, exc.status_code, exc.key, exc.params, headers=exc.headers)
    # A refusal raised by FastAPI or Starlette itself ("Not Found"): worded by its status.
    key = f"http_status.{exc.status_code if exc.status_code in TITLED else 'other'}"
    return problem_response(request, exc.status_code, key, headers=exc.headers, type_="about:blank")


def field_errors(exc: RequestValidationError, lang: str) -> list[dict[str, Any]]:
    """One entry per wrong field: where (``body.household.phone``), pydantic's type, and
    what is wrong in ``lang`` (from the ``[validation]`` catalog, never pydantic's English)."""
    out = []
    for e in exc.errors():
        out.append(
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "detail": validation.message(e, lang),
                "type": e.get("type", ""),
            }
        )
    return jsonable_encoder(out)


async def _validation_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    lang = request_lang(request)
    errors = field_errors(exc, lang)
    named = [e for e in exc.errors() if e.get("type") != "json_invalid"]
    if not named:  # the body is not JSON at all: no field to name
        why = validation.reason(exc.errors()[0], lang)
        return problem_response(request, 422, "validation.whole", {"reason": why}, errors=errors)
    fields = ", ".join(validation.field_name(e.get("loc", ())) for e in named[:5])
    return problem_response(request, 422, "fields", {"fields": fields}, errors=errors)


def _domain_problem(status: int, key: str) -> Any:
    async def handle(request: Request, exc: Exception) -> Response:
        # A worded error is said in the request's language; any other keeps its text.
        reason = exc if callable(getattr(exc, "text", None)) else str(exc)
        return problem_response(request, status, key, {"reason": reason})

    return handle


async def _refusal_problem(request: Request, exc: Exception) -> Response:
    """A domain ``Refusal``: its own status, titled and worded by its own catalog key."""
    assert isinstance(exc, Refusal)
    return problem_response(request, exc.status, exc.catalog_key, exc.params)


def install(app: FastAPI) -> None:
    """Answer every refusal of ``app`` with a problem document."""
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(Refusal, _refusal_problem)
    for error, (status, key) in DOMAIN_ERRORS.items():
        app.add_exception_handler(error, _domain_problem(status, key))
