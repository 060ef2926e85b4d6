"""The domain core that runs at the edge; the cloud imports it too.

Never imports ``coalguard.gateway`` or ``coalguard.cloud``.
"""
