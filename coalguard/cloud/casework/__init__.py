"""Casework of the villages (R22, R24): rewarded tips traced to a case, the issue
ledger (问题台账) with deadlines, overdue alerts and escalation up the levels, and the
zones' loose-coal clearance (动态清零). Cases themselves live in ``cloud/market/cases.py``
(the one home of cases); this package opens them from tips."""
