"""A coal sales point's weighing station: its scale, a clerk's ticket draft, the cloud post.

``WeighStation`` (``weighbridge.py``) is composed by ``coalguard scale station``.
"""

from coalguard.station.weighbridge import NotStable, StationRefused, TicketDraft, WeighStation

__all__ = ["NotStable", "StationRefused", "TicketDraft", "WeighStation"]
