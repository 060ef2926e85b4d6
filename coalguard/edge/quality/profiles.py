"""Coal-quality profiles and jurisdictions, as versioned TOML data files.

A profile is one standard grade (GB 34169-2017 无烟1号, Linxia 无烟2号 …):
its limits, each on a stated basis. A jurisdiction maps coal types to the
profile it enforces. The shipped files live next to this module; a directory
given by an administrator adds to them or overrides them by ``id``, so a
published table is installed without a code change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from coalguard.datafile import Number, load_model, locate, read_toml
from coalguard.edge.quality.indicators import CALORIFIC_MAX, parse
from coalguard.errors import CoalguardError, DataFileError

SHIPPED_DIR = Path(__file__).with_name("profiles")
JURISDICTIONS_FILE = "jurisdictions.toml"

COAL_TYPES = (
    "anthracite",
    "bituminous",
    "lignite",
    "briquette",
    "semi_coke",
    "industrial",
    "other",
)


class Limit(BaseModel):
    """One indicator's bound. ``band`` overrides the default retest band."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator: str
    max: Number | None = None
    min: Number | None = None
    band: Number | None = Field(default=None, ge=0)
    note: str | None = None

    @field_validator("indicator")
    @classmethod
    def _known(cls, v: str) -> str:
        parse(v)  # raises ValueError naming the symbol
        return v

    @model_validator(mode="after")
    def _bounds(self) -> Limit:
        top = CALORIFIC_MAX if parse(self.indicator).is_calorific else 100.0
        for name in ("min", "max", "band"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= top:
                raise ValueError(
                    f"{name} {value:g} is outside 0..{top:g} {parse(self.indicator).unit}"
                )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    @property
    def is_set(self) -> bool:
        return self.min is not None or self.max is not None


class Profile(BaseModel):
    """A named, versioned set of limits for one standard grade."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._\-]*(/[a-z0-9][a-z0-9._\-]*)*$", max_length=100)
    title: str = Field(min_length=1)
    title_en: str | None = None
    version: str = Field(min_length=1)
    source: str = Field(min_length=1)
    verified: StrictBool
    coal_types: list[str] = Field(min_length=1)
    notes: str | None = None
    limits: list[Limit] = Field(default_factory=list, alias="limit")

    def title_in(self, lang: str) -> str:
        """The title in ``lang``: the English one when asked and known, else the Chinese."""
        return self.title_en if lang != "zh" and self.title_en else self.title

    @field_validator("coal_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        for t in v:
            if t not in COAL_TYPES:
                raise ValueError(f"unknown coal type {t!r} (known: {', '.join(COAL_TYPES)})")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        seen: set[str] = set()
        for lim in self.limits:
            if lim.indicator in seen:
                raise ValueError(f"indicator {lim.indicator!r} has two limits")
            seen.add(lim.indicator)
        if self.verified and not any(lim.is_set for lim in self.limits):
            raise ValueError("a verified profile needs at least one limit with min or max")
        return self


class Jurisdiction(BaseModel):
    """Which profile a place enforces for each coal type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._\-]*$")
    name: str
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{2,12}$")
    source: str
    profiles: dict[str, str]

    @field_validator("profiles")
    @classmethod
    def _types(cls, v: dict[str, str]) -> dict[str, str]:
        for t in v:
            if t not in COAL_TYPES:
                raise ValueError(f"unknown coal type {t!r} (known: {', '.join(COAL_TYPES)})")
        return v


class JurisdictionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str
    jurisdiction: list[Jurisdiction] = Field(default_factory=list)


class UnknownProfile(CoalguardError):
    """A profile id that no loaded file defines."""


@dataclass
class ProfileSet:
    """Every loaded profile and jurisdiction, with the file each came from."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    origins: dict[str, Path] = field(default_factory=dict)
    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = ()) -> ProfileSet:
        """Shipped profiles, then each extra directory overriding by id."""
        ps = cls()
        ps._load_dir(SHIPPED_DIR)
        for d in extra_dirs:
            d = Path(d)
            if not d.is_dir():
                raise DataFileError(str(d), "profile directory does not exist")
            ps._load_dir(d)
        ps._check_references()
        return ps

    def get(self, profile_id: str) -> Profile:
        try:
            return self.profiles[profile_id]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise UnknownProfile(f"unknown profile {profile_id!r} (known: {known})") from None

    def for_coal(self, jurisdiction_id: str, coal_type: str) -> Profile:
        """The profile ``jurisdiction_id`` enforces for ``coal_type``."""
        j = self.jurisdictions.get(jurisdiction_id)
        if j is None:
            known = ", ".join(sorted(self.jurisdictions))
            raise UnknownProfile(f"unknown jurisdiction {jurisdiction_id!r} (known: {known})")
        pid = j.profiles.get(coal_type)
        if pid is None:
            raise UnknownProfile(
                f"jurisdiction {jurisdiction_id!r} maps no profile for coal type {coal_type!r} "
                f"(it maps: {', '.join(sorted(j.profiles))})"
            )
        return self.get(pid)

    # -- loading -----------------------------------------------------------

    def _load_dir(self, root: Path) -> None:
        seen_here: dict[str, Path] = {}
        for path in sorted(root.rglob("*.toml")):
            if path.name == JURISDICTIONS_FILE:
                jf = load_model(path, JurisdictionFile)
                for j in jf.jurisdiction:
                    self.jurisdictions[j.id] = j
                continue
            profile = load_model(path, Profile)
            if profile.id in seen_here:
                _, text = read_toml(path)
                raise DataFileError(
                    str(path),
                    f"profile id {profile.id!r} is also defined in {seen_here[profile.id]}",
                    locate(text, ("id",)),
                    "id",
                )
            seen_here[profile.id] = path
            self.profiles[profile.id] = profile
            self.origins[profile.id] = path

    def _check_references(self) -> None:
        for j in self.jurisdictions.values():
            for coal_type, pid in j.profiles.items():
                if pid not in self.profiles:
                    raise DataFileError(
                        JURISDICTIONS_FILE,
                        f"jurisdiction {j.id!r} maps {coal_type!r} to unknown profile {pid!r}",
                        field=f"{j.id}.profiles.{coal_type}",
                    )
