"""Coal-market oversight (R6, R12, R24, R25): business points, sampling plans and tasks,
results judged by the verdict engine, re-checks, the 100 % rates and the public list.

Others build on: ``tables`` (``BusinessPoint`` …), ``may_record_sales``,
``start_rectification``/``accept_rectification``, ``raise_market_alert``.
"""

from coalguard.cloud.market.alerts import raise_market_alert
from coalguard.cloud.market.points import (
    MarketError,
    SalesPermission,
    accept_rectification,
    may_record_sales,
    point_by_code,
    start_rectification,
)
from coalguard.cloud.market.tables import BusinessPoint, MarketAlert

__all__ = [
    "BusinessPoint",
    "MarketAlert",
    "MarketError",
    "SalesPermission",
    "accept_rectification",
    "may_record_sales",
    "point_by_code",
    "raise_market_alert",
    "start_rectification",
]
