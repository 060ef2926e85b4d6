"""Clean coal to every household before winter (R19, R20, R26): the delivery network, the
village purchase registers, deliveries from five-part slips, the monthly sales summaries
and their three reviews, milestones and the reserve. ``docs/delivery.md``."""
