"""The gateway's one configuration object, read from a TOML file.

``load_config(path)`` validates the whole file at start; a mistake is one
clear line naming the file, the line and the field (``coalguard.datafile``).
Relative paths in the file are taken relative to the file itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from coalguard.datafile import Integer, Number, load_model, locate, read_toml
from coalguard.errors import DataFileError, WordedValueError

MIN_RETENTION_DAYS = 90  # R9: at least three months, never earlier
DEFAULT_RETENTION_DAYS = 92
MIN_CAMERAS = 3  # R9: at least three cameras per checkpoint

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Checkpoint(_Strict):
    id: str = Field(
        pattern=r"^[A-Za-z0-9_\-]{3,64}$", description="also the gateway id at the cloud"
    )
    name: str = Field(min_length=1)
    region_code: str = Field(pattern=r"^[0-9]{2,12}$")
    jurisdiction: str = Field(min_length=1, description="jurisdiction id (profiles/jurisdictions)")


class Http(_Strict):
    host: str = "127.0.0.1"
    port: Integer = Field(default=8470, ge=1, le=65535)
    camera_token: str | None = Field(
        default=None,
        min_length=8,
        repr=False,
        description="camera pushes must carry 'Authorization: Bearer <token>'",
    )
    camera_token_required: bool = Field(
        default=True, description="false only on a closed camera network (or the demo)"
    )


class Auth(_Strict):
    """Operator sign-in: session lifetimes and lockout (docs/gateway.md, Access)."""

    idle_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    absolute_hours: float = Field(default=12.0, gt=0, le=7 * 24)
    max_failures_account: int = Field(default=5, ge=1, le=1000)
    max_failures_client: int = Field(default=20, ge=1, le=10000)
    lockout_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    cookie_secure: bool = Field(default=False, description="true when the page is served on https")


class Cloud(_Strict):
    """Where records go. Without ``url`` they wait in the outbox (nothing is lost)."""

    url: str | None = Field(default=None, pattern=r"^https?://")
    token: str | None = Field(default=None, repr=False)
    token_file: Path | None = None
    ca_file: Path | None = None
    allow_insecure_http: StrictBool = False
    batch_records: Integer = Field(default=500, ge=1, le=5000)
    backoff_cap_s: Number = Field(default=300.0, gt=0)

    @model_validator(mode="after")
    def _one_token(self) -> Cloud:
        if self.token and self.token_file:
            raise WordedValueError("config_words.token_twice")
        if self.url and not (self.token or self.token_file):
            raise WordedValueError("config_words.url_needs_token")
        return self


class OutboxSettings(_Strict):
    quota_mb: Integer = Field(default=2048, ge=16)
    min_free_disk_mb: Integer = Field(default=256, ge=1)


class Storage(_Strict):
    data_dir: Path = Path("/var/lib/coalguard-gateway")


class Retention(_Strict):
    camera_days: Integer = Field(default=DEFAULT_RETENTION_DAYS)
    purge_batch: Integer = Field(default=500, ge=1, le=100_000)
    purge_interval_s: Number = Field(default=3600.0, gt=0)

    @field_validator("camera_days")
    @classmethod
    def _three_months(cls, v: int) -> int:
        if v < MIN_RETENTION_DAYS:
            raise WordedValueError("config_words.retention_days", days=MIN_RETENTION_DAYS, got=v)
        return v


class Lab(_Strict):
    dispatch_hours: Number = Field(default=24.0, gt=0, le=24.0)
    report_days: Number = Field(default=2.0, gt=0, le=2.0)
    check_interval_s: Number = Field(default=60.0, gt=0)


class FastPass(_Strict):
    file: Path | None = None
    refresh_s: Number = Field(default=600.0, gt=0)


class Papers(_Strict):
    """Printed papers (docs/gateway.md, Papers): a PDF is the page printed by headless Chromium."""

    chromium: str = Field(default="chromium", min_length=1, description="binary name or path")
    pdf_timeout_s: Number = Field(default=30.0, gt=0, le=300)


class Watch(_Strict):
    """Which arriving plates the page highlights (issue 12), and how often the list is pulled."""

    recent_hours: int = Field(default=24, ge=1, le=24 * 30, description="turned back within")
    repeat_count: int = Field(default=3, ge=1, le=100, description="turned back this often")
    repeat_days: int = Field(default=30, ge=1, le=366, description="... within this many days")
    refresh_s: Number = Field(default=600.0, gt=0, description="cloud watch list pull interval")


class Analyzer(_Strict):
    """One rapid analyzer: the register map of its model and where it is attached."""

    id: str = Field(pattern=_ID)
    model: str = Field(min_length=1, description="register map id or path")
    transport: Literal["rtu", "tcp", "ascii"] = "rtu"
    port: str | None = Field(default=None, description="serial device, e.g. /dev/ttyUSB0")
    host: str | None = None
    tcp_port: Integer | None = Field(default=None, ge=1, le=65535)
    unit_id: Integer | None = Field(default=None, ge=0, le=247)
    baudrate: Integer | None = Field(default=None, gt=0)
    poll_interval_s: Number = Field(default=1.0, gt=0)

    @property
    def offline_after_s(self) -> float:
        """No good answer for this long: the analyzer is not answering (table and alert)."""
        return max(30.0, 10 * self.poll_interval_s)

    @model_validator(mode="after")
    def _where(self) -> Analyzer:
        if self.transport == "tcp" and not self.host:
            raise WordedValueError("config_words.tcp_needs_host")
        if self.transport in ("rtu", "ascii") and not self.port:
            raise WordedValueError("config_words.serial_needs_port", transport=self.transport)
        return self


class Lane(_Strict):
    """A sampling lane and the analyzers that test its samples (binding by choice, issue 12)."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    analyzers: list[str] = Field(min_length=1, description="ids of [[analyzer]] entries")


class Camera(_Strict):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    role: Literal["entry", "exit", "sampling", "overview"] = "overview"
    expected_interval_s: Number = Field(default=600.0, gt=0, description="silent longer → alert")
    creates_arrival: StrictBool = Field(
        default=False, description="a confident plate read opens one"
    )
    min_confidence: Number = Field(default=0.8, ge=0, le=1)

    @model_validator(mode="after")
    def _arrivals_at_the_entry(self) -> Camera:
        if self.creates_arrival and self.role != "entry":
            raise WordedValueError("config_words.arrival_at_entry", camera=self.id, role=self.role)
        return self


class Exit(_Strict):
    """The exit check: a plate an exit camera reads must have been released (bypass alert)."""

    released_within_minutes: Number = Field(
        default=240.0,
        gt=0,
        le=24 * 60,
        description="a release older than this does not cover an exit read",
    )


class GatewayConfig(_Strict):
    """Everything one checkpoint gateway process needs."""

    checkpoint: Checkpoint
    http: Http = Http()
    auth: Auth = Auth()
    cloud: Cloud = Cloud()
    storage: Storage = Storage()
    outbox: OutboxSettings = OutboxSettings()
    retention: Retention = Retention()
    lab: Lab = Lab()
    fast_pass: FastPass = FastPass()
    papers: Papers = Papers()
    watch: Watch = Watch()
    exit: Exit = Exit()
    analyzers: list[Analyzer] = Field(default_factory=list, alias="analyzer")
    cameras: list[Camera] = Field(default_factory=list, alias="camera")
    lanes: list[Lane] = Field(default_factory=list, alias="lane")
    profiles_dirs: list[Path] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _devices(self) -> GatewayConfig:
        if len(self.cameras) < MIN_CAMERAS:
            raise WordedValueError(
                "config_words.too_few_cameras", least=MIN_CAMERAS, count=len(self.cameras)
            )
        for kind, items in (
            ("camera", self.cameras),
            ("analyzer", self.analyzers),
            ("lane", self.lanes),
        ):
            ids = [i.id for i in items]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise WordedValueError("config_words.id_twice", kind=kind, id=sorted(dup)[0])
        known = {a.id for a in self.analyzers}
        for lane in self.lanes:
            unknown = [a for a in lane.analyzers if a not in known]
            if unknown:
                raise WordedValueError(
                    "config_words.lane_unknown_analyzer",
                    lane=lane.id,
                    analyzer=unknown[0],
                    known=", ".join(sorted(known)) or "-",
                )
        return self

    @model_validator(mode="after")
    def _camera_token(self) -> GatewayConfig:
        if self.http.camera_token_required and not self.http.camera_token:
            raise WordedValueError("config_words.camera_token_required")
        return self

    def camera(self, camera_id: str) -> Camera | None:
        return next((c for c in self.cameras if c.id == camera_id), None)

    @property
    def db_path(self) -> Path:
        return self.storage.data_dir / "gateway.sqlite"

    @property
    def legacy_outbox_path(self) -> Path:
        """The separate outbox file of earlier versions, adopted once at start."""
        return self.storage.data_dir / "outbox.sqlite"

    def cloud_token(self) -> str | None:
        if self.cloud.token_file:
            try:
                return self.cloud.token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise DataFileError(
                    str(self.cloud.token_file), f"cannot read token: {exc.strerror or exc}"
                ) from None
        return self.cloud.token


def load_config(path: Path) -> GatewayConfig:
    """Read and validate ``path``; relative paths resolve next to the file."""
    cfg = load_model(Path(path), GatewayConfig)
    base = Path(path).resolve().parent

    def rel(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else base / p)

    cfg.storage.data_dir = rel(cfg.storage.data_dir)  # type: ignore[assignment]
    cfg.fast_pass.file = rel(cfg.fast_pass.file)
    cfg.cloud.token_file = rel(cfg.cloud.token_file)
    cfg.cloud.ca_file = rel(cfg.cloud.ca_file)
    cfg.profiles_dirs = [rel(p) for p in cfg.profiles_dirs]  # type: ignore[misc]
    _check_maps(Path(path), cfg, base)
    return cfg


def _check_maps(path: Path, cfg: GatewayConfig, base: Path) -> None:
    """Each analyzer's register map must load (a shipped name, or a path next to the file)."""
    from coalguard.drivers.analyzer import resolve_map

    for i, a in enumerate(cfg.analyzers):
        if a.model.endswith(".toml") and not Path(a.model).is_absolute():
            a.model = str(base / a.model)
        try:
            regmap = resolve_map(a.model)
        except DataFileError as exc:
            _, text = read_toml(path)
            raise DataFileError(
                str(path),
                f"register map: {exc}",
                locate(text, ("analyzer", i, "model")),
                f"analyzer.{i}.model",
            ) from None
        longest = len(cfg.checkpoint.id) + len("-yyyymmdd-nnnn")
        if regmap.carries_sample_id and regmap.sample_id_chars < longest:
            _, text = read_toml(path)
            raise DataFileError(
                str(path),
                f"register map {regmap.id} keeps sample ids of {regmap.sample_id_chars} "
                f"characters; this checkpoint's ({cfg.checkpoint.id}-yyyymmdd-nnnn) need "
                f"{longest}: use a shorter checkpoint id or the map of the analyzer's setting",
                locate(text, ("analyzer", i, "model")),
                f"analyzer.{i}.model",
            )
