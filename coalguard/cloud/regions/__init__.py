"""The region directory: names of the codes every record carries (docs/regions.md).

``region_name(code, lang)``, ``region_path(code, lang)`` and ``children(code)`` read
the shipped file (``regions.csv``) merged with the rows an administrator imported.
"""

from coalguard.cloud.regions.directory import (
    Region,
    children,
    find,
    parent_code,
    refresh,
    region_name,
    region_path,
)

__all__ = ["Region", "children", "find", "parent_code", "refresh", "region_name", "region_path"]
