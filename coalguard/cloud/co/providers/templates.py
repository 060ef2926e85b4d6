"""Message templates per jurisdiction and channel, loaded from TOML (data, not code).

A provider sends a registered template id with parameters; ``Templates.pick``
finds the jurisdiction's template for a channel (longest region-code prefix,
else ``default``) and ``Template.params`` fills its parameters from the
notification body. The body carries what a person needs to act: the alert
kind, the household (name, address), ``detail.co_ppm`` and ``ack_url`` (the
acknowledgement link, when the escalation made one).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coalguard.i18n import known, t

SHIPPED = Path(__file__).with_name("templates.toml")
MISSING = "-"  # providers refuse empty parameters


def body_values(body: dict[str, Any]) -> dict[str, str]:
    """Every value a template may name, worded in Chinese, from a notification body."""
    kind = str(body.get("kind") or "")
    house = body.get("household") or {}
    ppm = (body.get("detail") or {}).get("co_ppm")
    return {
        "alarm_type": t(f"alert_kind.{kind}", "zh") if known(f"alert_kind.{kind}") else kind,
        "household": str(house.get("name") or MISSING),
        "address": str(house.get("address") or MISSING),
        "co_ppm": MISSING if ppm is None else f"{float(ppm):.0f}",
        "ack_link": str(body.get("ack_url") or MISSING),
        # The number a person texts back to acknowledge (docs/co-escalation.md).
        "reply_code": str(body.get("reply_code") or MISSING),
    }


@dataclass(frozen=True)
class Template:
    template_id: str
    text: str
    params: tuple[str, ...]

    def values(self, body: dict[str, Any]) -> list[str]:
        """The template's parameters, in order (positional providers)."""
        v = body_values(body)
        return [v.get(name, MISSING) or MISSING for name in self.params]

    def named(self, body: dict[str, Any]) -> dict[str, str]:
        """The template's parameters by name (Aliyun's ``TemplateParam``)."""
        return dict(zip(self.params, self.values(body), strict=True))

    def preview(self, body: dict[str, Any]) -> str:
        """The message as the recipient reads it (for the demo and the dashboard)."""
        return self.fill(self.values(body))

    def fill(self, params: list[str] | dict[str, str]) -> str:
        """The text with the parameters a provider received (positional or named)."""
        vals = list(params.values()) if isinstance(params, dict) else params
        named = params if isinstance(params, dict) else dict(zip(self.params, vals, strict=False))

        def nth(m: re.Match[str]) -> str:
            i = int(m.group(1)) - 1
            return vals[i] if 0 <= i < len(vals) else MISSING

        out = re.sub(r"\{(\d+)\}", nth, self.text)
        return re.sub(r"\$\{(\w+)\}", lambda m: named.get(m.group(1), MISSING), out)


class TemplateError(ValueError):
    """A templates file that does not say what a provider needs (named in the message)."""


@dataclass(frozen=True)
class Templates:
    by_jurisdiction: dict[str, dict[str, Template]]

    def by_id(self, template_id: str) -> Template | None:
        """The template registered under ``template_id`` (previews of recorded requests)."""
        for channels in self.by_jurisdiction.values():
            for tpl in channels.values():
                if tpl.template_id == template_id:
                    return tpl
        return None

    def pick(self, channel: str, region_code: str | None) -> Template:
        """The template for ``channel`` in the most specific jurisdiction having one."""
        region = region_code or ""
        for prefix in sorted(self.by_jurisdiction, key=len, reverse=True):
            if prefix != "default" and region.startswith(prefix):
                found = self.by_jurisdiction[prefix].get(channel)
                if found:
                    return found
        found = self.by_jurisdiction.get("default", {}).get(channel)
        if found is None:
            raise TemplateError(f"no {channel} template for region {region!r} and no default")
        return found


def load_templates(path: Path | None = None) -> Templates:
    """Read a templates file (default: the shipped one); errors name the table and key."""
    src = path or SHIPPED
    data = tomllib.loads(src.read_text(encoding="utf-8"))
    out: dict[str, dict[str, Template]] = {}
    for juris, channels in data.items():
        if juris != "default" and not re.fullmatch(r"[0-9]{2,12}", juris):
            raise TemplateError(f"{src}: jurisdiction {juris!r} is not a region-code prefix")
        out[juris] = {}
        for channel, spec in channels.items():
            where = f"{src}: [{juris}.{channel}]"
            try:
                tpl = Template(str(spec["template_id"]), spec["text"], tuple(spec["params"]))
            except (KeyError, TypeError) as exc:
                raise TemplateError(f"{where} needs template_id, text and params ({exc})") from None
            unknown = set(tpl.params) - set(body_values({}))
            if unknown:
                raise TemplateError(f"{where} names unknown params {sorted(unknown)}")
            out[juris][channel] = tpl
    return Templates(out)
