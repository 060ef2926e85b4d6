"""Reading the pages' url-encoded form posts, and where a form may send the browser next."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields, stripped; undecodable bytes become U+FFFD, never an error."""
    body = await request.body()
    return {
        k: v.strip() for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    }


def safe_next(target: str) -> str:
    """Only a path on this site (never ``//evil`` or a full URL)."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"
