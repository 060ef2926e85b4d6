"""The cloud's HTTP routes, one thin module per area (parse, call the domain, respond).

Each module exposes ``router``; ``ROUTERS`` is the order ``create_app`` mounts them in.
Domain rules and storage live in their packages (``cloud.checks``, ``cloud.co``, …).
"""

from __future__ import annotations

from coalguard.cloud.api.routes import (
    alerts,
    batches,
    board,
    checks,
    co,
    co_ack,
    contacts,
    dashboard,
    delivery,
    fastpass,
    health,
    household_pages,
    households,
    ledger,
    market,
    market_cases,
    market_pages,
    market_sales,
    market_tickets,
    patrols,
    profiles,
    receipts,
    referrals,
    reports,
    users,
    watch,
    zones,
)

ROUTERS = (
    health.router,
    batches.router,
    co.router,
    users.router,
    checks.router,
    alerts.router,
    fastpass.router,
    profiles.router,
    watch.router,
    reports.router,
    ledger.router,
    market.router,
    referrals.router,
    contacts.router,
    households.router,
    market_sales.router,
    market_cases.router,
    zones.router,
    board.stream_router,
    board.router,
    receipts.router,
    co_ack.router,
    market_pages.router,
    household_pages.router,
    market_tickets.router,
    patrols.router,
    delivery.router,
    dashboard.router,
)
