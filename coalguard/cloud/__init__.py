"""The cloud service: ingest, alerts, verdict registry, reports, operator API."""
