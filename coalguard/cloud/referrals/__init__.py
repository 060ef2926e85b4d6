"""A failing lab report's referral to the air-pollution office (大气办), as a case.

Opened once when the failing report is projected (``cases.open_case``, in the
projector's transaction), announced through the CO notifier's channels
(signed webhook, log), re-sent every repeat interval until the office
acknowledges it (``cases.remind_due``, in the checks sweep), shown at
``/referrals`` and ``/api/v1/referrals``.
"""
