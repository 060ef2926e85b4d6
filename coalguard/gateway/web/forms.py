"""Reading the page's url-encoded form posts."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields, stripped; undecodable bytes become U+FFFD, never an error."""
    body = await request.body()
    return {
        k: v.strip() for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    }
