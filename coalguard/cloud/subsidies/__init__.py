"""Subsidies computed from the ledgers (R19): schemes as data (``schemes/*.toml``), the
entitlement engine with its rules, payout lists per township, settlement per county.
``docs/subsidies.md``."""
