"""Coal-quality profiles and jurisdictions, as versioned TOML data files.

A profile is one standard grade (GB 34169-2017 无烟1号, Linxia 无烟2号 …):
its limits, each on a stated basis. A jurisdiction maps coal types to the
profile it enforces. The shipped files live next to this module; a directory
given by an administrator adds to them or overrides them by ``id``, so a
published table is installed without a code change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

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


class BadProfileSet(CoalguardError):
    """A profile set document that does not validate (the reason names what is wrong)."""


LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"


class ProfileSetDoc(BaseModel):
    """A whole profile set as the cloud serves it: a label, its content hash and the data."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(pattern=LABEL_PATTERN)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    profiles: list[Profile]
    jurisdictions: list[Jurisdiction]


@dataclass
class ProfileSet:
    """Every loaded profile and jurisdiction, with the file each came from."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    origins: dict[str, Path] = field(default_factory=dict)
    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)
    # Who named this set: "shipped", "local" (an administrator's directory) or an installed label.
    label: str = "shipped"

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = (), label: str | None = None) -> ProfileSet:
        """Shipped profiles, then each extra directory overriding by id."""
        extra_dirs = list(extra_dirs)
        ps = cls(label=label or ("local" if extra_dirs else "shipped"))
        ps._load_dir(SHIPPED_DIR)
        for d in extra_dirs:
            d = Path(d)
            if not d.is_dir():
                raise DataFileError(str(d), "profile directory does not exist")
            ps._load_dir(d)
        ps._check_references()
        return ps

    # -- versions and transport ----------------------------------------------

    def digest(self) -> str:
        """SHA-256 of the set's content (profiles and jurisdictions), independent of file names."""
        return hashlib.sha256(json.dumps(self._content(), sort_keys=True).encode()).hexdigest()

    @property
    def version(self) -> str:
        """``label@hash12``: what a verdict records, so the cloud can judge with the same set."""
        return f"{self.label}@{self.digest()[:12]}"

    def to_doc(self) -> dict[str, Any]:
        """The set as the cloud serves it (``ProfileSetDoc`` as JSON)."""
        return {"label": self.label, "digest": self.digest(), **self._content()}

    @classmethod
    def from_doc(cls, doc: Any, where: str = "profile set") -> ProfileSet:
        """A served set, validated whole: its models, its references and its content hash."""
        try:
            d = ProfileSetDoc.model_validate(doc)
        except ValidationError as exc:
            from coalguard.edge.records.base import explain

            raise BadProfileSet(f"{where}: {explain(exc)}") from None
        ps = cls(label=d.label)
        for p in d.profiles:
            if p.id in ps.profiles:
                raise BadProfileSet(f"{where}: profile id {p.id!r} appears twice")
            ps.profiles[p.id] = p
        ps.jurisdictions = {j.id: j for j in d.jurisdictions}
        try:
            ps._check_references()
        except DataFileError as exc:
            raise BadProfileSet(f"{where}: {exc}") from None
        if ps.digest() != d.digest:
            raise BadProfileSet(f"{where}: content does not match its digest {d.digest[:12]}")
        return ps

    def adopt(self, other: ProfileSet) -> None:
        """Take ``other``'s content in place: every desk holding this set judges with it next."""
        self.profiles, self.origins = dict(other.profiles), dict(other.origins)
        self.jurisdictions, self.label = dict(other.jurisdictions), other.label

    def _content(self) -> dict[str, Any]:
        return {
            "profiles": [
                self.profiles[k].model_dump(mode="json", by_alias=True)
                for k in sorted(self.profiles)
            ],
            "jurisdictions": [
                self.jurisdictions[k].model_dump(mode="json") for k in sorted(self.jurisdictions)
            ],
        }

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
