"""Phone numbers in the form each provider wants (mainland mobiles, E.164 or bare)."""

from __future__ import annotations

import re

from coalguard.cloud.co.channels import ChannelError
from coalguard.cloud.privacy import mask_phone

_MAINLAND = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$")


def mainland(phone: str) -> str:
    """``13812345678`` from ``+86 138-1234-5678`` and the like; ChannelError otherwise
    (the message shows the number masked: errors are stored and logged)."""
    digits = re.sub(r"[\s-]", "", phone)
    m = _MAINLAND.match(digits)
    if not m:
        raise ChannelError(f"not a mainland mobile number: {mask_phone(digits)}")
    return m.group(1)


def e164(phone: str) -> str:
    """``+8613812345678`` (Tencent SMS and VMS)."""
    return "+86" + mainland(phone)
