"""Bytes <-> typed readings. Knows protocols, knows nothing of policy.

Never imports ``coalguard.gateway`` or ``coalguard.cloud``.
"""
