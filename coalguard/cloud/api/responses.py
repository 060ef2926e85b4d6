"""The refusals a route may answer, declared in the OpenAPI document.

Routes name their own (``responses=problems(404, 409)``); the ones that follow
from a route's declaration are added by ``declare_refusals`` once the routers
are in: 401 and 403 from ``access.allow``, 401 from a gateway or provider token, 422 from
any parameter or body FastAPI validates. Every one is ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from coalguard.cloud.access import declared_access
from coalguard.cloud.api.problems import MEDIA_TYPE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxResponse(Response):
    """An Excel workbook to download (exports for posting and offices)."""

    media_type = XLSX


# The 200 answer of a route that returns an ``XlsxResponse``, for the OpenAPI document.
XLSX_OK: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}
}


def xlsx_download(data: bytes, name: str) -> XlsxResponse:
    return XlsxResponse(data, headers={"Content-Disposition": f'attachment; filename="{name}"'})


class FieldProblem(BaseModel):
    field: str
    detail: str
    type: str


class ProblemDoc(BaseModel):
    """RFC 9457 problem details; ``errors`` lists the wrong fields of a 422."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None


_WHY = {
    401: "No credential, or an unknown or revoked one",
    403: "The caller's role or region does not allow it",
    404: "Not found (or outside the caller's region)",
    409: "Conflicts with the current state",
    413: "Request body larger than the limit",
    415: "Content encoding not accepted",
    422: "Invalid input; `errors` names each wrong field",
    429: "Too many attempts; retry after `Retry-After` seconds",
    503: "Temporarily unavailable; retry after `Retry-After` seconds",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these refusal statuses (problem+json; 429/503 with Retry-After)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ProblemDoc,
            "description": _WHY.get(status, "Refused"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDoc"}}},
        }
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER
        out[status] = entry
    return out


def implied_statuses(route: APIRoute) -> set[int]:
    """The refusals a route's own declaration implies (access and validated input)."""
    found: set[int] = set()
    for acc in declared_access(route):
        if acc.roles:
            found |= {401, 403}
        if acc.gateway_token or acc.provider_token:
            found.add(401)
    dep = route.dependant
    if route.body_field is not None or any(
        p for d in [dep, *_all_deps(dep)] for p in (*d.query_params, *d.path_params)
    ):
        found.add(422)
    return found


def _all_deps(dep: Any) -> list[Any]:
    out, stack = [], list(dep.dependencies)
    while stack:
        d = stack.pop()
        out.append(d)
        stack.extend(d.dependencies)
    return out


def declare_refusals(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Add each route's implied refusals to its OpenAPI responses.

    Runs over the routers themselves (FastAPI builds an included router's
    routes lazily from them) before the app answers anything. A 422 declared
    here replaces FastAPI's own, which would point at its ``HTTPValidationError``.
    """
    for router in (*routers, app.router):
        for route in router.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            have = {int(k) for k in route.responses if str(k).isdigit()}
            route.responses.update(problems(*sorted(implied_statuses(route) - have)))
    app.openapi_schema = None
    _problems_only_as_problem_json(app)


def _problems_only_as_problem_json(app: FastAPI) -> None:
    """FastAPI also lists a response ``model`` as application/json; refusals are not."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        doc = build()
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    if MEDIA_TYPE in content:
                        content.pop("application/json", None)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
