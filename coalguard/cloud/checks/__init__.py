"""What checkpoints send, made queryable: inspections, verdicts, lab samples, alerts.

``projector`` turns stored gateway records into these tables (idempotent by
record id), re-judging every rapid and lab result with the cloud's profiles.
"""
