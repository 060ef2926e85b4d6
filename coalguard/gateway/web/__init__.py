"""The local operator page and API (FastAPI, server-rendered HTML in Chinese)."""

from coalguard.gateway.web.app import create_app

__all__ = ["create_app"]
