"""``coalguard cloud users …`` and ``coalguard cloud report …``: the operators' side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Lang, lang_or_default
from coalguard.edge.clock import SystemClock
from coalguard.errors import WordedInputError, as_refusal
from coalguard.i18n import known, t

users_app = typer.Typer(help="Cloud users, roles and tokens.", no_args_is_help=True)

Db = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: COALGUARD_CLOUD_DB_URL).", show_default=False
    ),
]


def _sessions(db: str | None):  # type: ignore[no-untyped-def]
    from coalguard.cloud import app as _app  # noqa: F401  (every table)
    from coalguard.cloud.db import make_sessionmaker
    from coalguard.cloud.migrate import open_engine
    from coalguard.cloud.settings import CloudSettings

    return make_sessionmaker(
        open_engine((CloudSettings(db_url=db) if db else CloudSettings()).db_url)
    )


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name, e.g. county-officer-130102.")],
    role: Annotated[
        str,
        typer.Option(
            help="admin, operator, installer, gateway, office (大气办), "
            "market (市场监管), clerk (销售网点) or lab (化验室)."
        ),
    ] = "operator",
    region: Annotated[
        str, typer.Option(help="Region code prefix it may see, e.g. 13 or 130102 ('' = all).")
    ] = "",
    personal_data: Annotated[
        bool, typer.Option(help="May see phone and ID-card numbers unmasked.")
    ] = False,
    db: Db = None,
) -> None:
    """Create a user and print its first token (shown once)."""
    from coalguard.cloud import audit
    from coalguard.cloud.auth import add_user, new_token

    now = SystemClock().now()
    with _sessions(db).begin() as s:
        try:
            user = add_user(s, name, role, region, personal_data=personal_data, now=now)
            token = new_token(s, user, "cli", now=now)
        except ValueError as exc:
            raise as_refusal(exc) from None
        detail = {"role": role, "region": region}
        audit.record(s, audit.cli_actor(), f"users add {name}", detail=detail, at=now)
    typer.echo(token)


@users_app.command("token")
def users_token(name: Annotated[str, typer.Argument(help="User name.")], db: Db = None) -> None:
    """Issue another token for an existing user (shown once)."""
    from coalguard.cloud import audit
    from coalguard.cloud.auth import find_user, new_token

    now = SystemClock().now()
    with _sessions(db).begin() as s:
        try:
            token = new_token(s, find_user(s, name), "cli", now=now)
        except ValueError as exc:
            raise as_refusal(exc) from None
        audit.record(s, audit.cli_actor(), f"users token {name}", at=now)
    typer.echo(token)


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument(help="User name.")], db: Db = None) -> None:
    """Revoke a user and every token it holds, at once."""
    from coalguard.cloud import audit
    from coalguard.cloud.auth import revoke_user

    with _sessions(db).begin() as s:
        try:
            n = revoke_user(s, name)
        except ValueError as exc:
            raise as_refusal(exc) from None
        actor = audit.cli_actor()
        audit.record(s, actor, f"users revoke {name}", detail={"tokens": n}, at=SystemClock().now())
    typer.echo(f"{name}: revoked ({n} token(s))")


@users_app.command("list")
def users_list(db: Db = None, lang: Lang = "") -> None:
    """List users (never their tokens)."""
    from sqlalchemy import func, select

    from coalguard.cloud.auth import CloudUser, UserToken

    lang = lang_or_default(lang)

    with _sessions(db)() as s:
        live = dict(
            s.execute(
                select(UserToken.user_id, func.count())
                .where(UserToken.revoked.is_(False))
                .group_by(UserToken.user_id)
            ).all()
        )
        typer.echo(t("cli_table.users_header", lang))
        for u in s.scalars(select(CloudUser).order_by(CloudUser.name)):
            state = t("cli_table.revoked" if u.revoked else "cli_table.active", lang)
            region = u.region_prefix or t("cli_table.all_regions", lang)
            tokens = t("cli_table.tokens", lang).format(n=live.get(u.id, 0))
            key = f"cli_table.role_{u.role}"
            role = t(key, lang) if known(key) else u.role
            typer.echo(f"{u.name}\t{role}\t{region}\t{state}\t{tokens}")


report_app = typer.Typer(
    help="Daily dispatch and weekly bulletin per region.", no_args_is_help=True
)


def _report(  # type: ignore[no-untyped-def]
    kind: str,
    region: str,
    day: str | None,
    fmt: str,
    out: Path | None,
    db: str | None,
    lang: str = "",
):
    from datetime import date

    from rich.progress import Progress

    from coalguard.cloud.reports import figures, render
    from coalguard.edge.clock import LOCAL_TZ

    now = SystemClock().now()  # this command's one reading of the clock
    if fmt not in ("html", "csv", "json"):
        raise WordedInputError("config_words.report_format", value=fmt)
    if region and not region.isdigit():
        raise WordedInputError("config_words.region_digits", option="--region ", value=region)
    try:
        when = date.fromisoformat(day) if day else now.astimezone(LOCAL_TZ).date()
    except ValueError:
        raise WordedInputError("config_words.date_format", value=day) from None
    p = figures.period(kind, region, when)
    sessions = _sessions(db)
    with Progress(transient=True, disable=out is None) as bar:
        task = bar.add_task(f"{kind} {region or 'all'} {when}", total=len(figures.STEPS) + 1)
        with sessions() as s:
            doc = figures.build(s, p, now, progress=lambda _n: bar.advance(task))
        if fmt == "html":
            text = render.to_html(doc, lang_or_default(lang))
        else:
            text = {"csv": render.to_csv, "json": render.to_json}[fmt](doc)
        bar.advance(task)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{kind} report written to {out}", err=True)


Region = Annotated[str, typer.Option("--region", help="Region code prefix, e.g. 130102.")]
Day = Annotated[str | None, typer.Option("--date", help="Local date YYYY-MM-DD (default: today).")]
Fmt = Annotated[str, typer.Option("--format", help="html, csv or json.")]
Out = Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")]


def _report_command(period: str, doc: str) -> None:
    """``report daily`` and ``report weekly``: the same options, another period."""

    def report(
        region: Region,
        date: Day = None,
        format: Fmt = "html",
        out: Out = None,
        db: Db = None,
        lang: Lang = "",
    ) -> None:
        _report(period, region, date, format, out, db, lang)

    report.__doc__ = doc
    report_app.command(period)(report)


_report_command("daily", "The daily dispatch of a region.")
_report_command("weekly", "The weekly bulletin: the seven days ending on --date.")


def migrate(
    db: Db = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Bring the cloud database to the newest schema (Alembic; PostgreSQL in production)."""
    from coalguard.cloud.migrate import current_revision, upgrade
    from coalguard.cloud.settings import CloudSettings

    url = (CloudSettings(db_url=db) if db else CloudSettings()).db_url
    upgrade(url, revision)
    typer.echo(f"database at revision {current_revision(url)}", err=True)


checkpoint_app = typer.Typer(
    help="Checkpoints: region and jurisdiction; air-pollution offices.", no_args_is_help=True
)


@checkpoint_app.command("set")
def checkpoint_set(
    checkpoint_id: Annotated[str, typer.Argument(help="Checkpoint id as its gateway sends it.")],
    region: Annotated[str, typer.Option(help="Region code of the checkpoint, e.g. 130681.")],
    name: Annotated[str, typer.Option(help="Name people read.")] = "",
    jurisdiction: Annotated[
        str | None, typer.Option(help="Jurisdiction id (profiles), e.g. hebei-2022.")
    ] = None,
    gateway: Annotated[str | None, typer.Option(help="Gateway id that serves it.")] = None,
    db: Db = None,
) -> None:
    """Register a checkpoint's region and jurisdiction (its rows are re-tagged)."""
    from coalguard.cloud import audit
    from coalguard.cloud.checks.registry import register_checkpoint
    from coalguard.edge.quality import ProfileSet

    if not region.isdigit() or not 2 <= len(region) <= 12:
        raise WordedInputError("config_words.region_code", value=region)
    if jurisdiction and jurisdiction not in ProfileSet.load().jurisdictions:
        raise WordedInputError("config_words.unknown_jurisdiction", value=jurisdiction)
    with _sessions(db).begin() as s:
        register_checkpoint(
            s,
            checkpoint_id,
            name=name or checkpoint_id,
            region_code=region,
            jurisdiction=jurisdiction,
            gateway_id=gateway,
        )
        audit.record(
            s,
            audit.cli_actor(),
            f"checkpoint set {checkpoint_id}",
            detail={"region": region},
            at=SystemClock().now(),
        )
    typer.echo(f"{checkpoint_id}: region {region}, jurisdiction {jurisdiction or '-'}", err=True)


@checkpoint_app.command("office")
def checkpoint_office(
    region: Annotated[str, typer.Argument(help="Region code the office covers.")],
    name: Annotated[str, typer.Option(help="Office name, e.g. 涿州市大气办.")],
    contact: Annotated[str, typer.Option(help="Phone or address for referrals.")],
    db: Db = None,
) -> None:
    """Set the air-pollution office failing lab reports of a region are routed to."""
    from coalguard.cloud import audit
    from coalguard.cloud.checks.registry import set_office

    if not region.isdigit():
        raise WordedInputError("config_words.region_digits", option="region ", value=region)
    with _sessions(db).begin() as s:
        set_office(s, region, name, contact)
        audit.record(s, audit.cli_actor(), f"checkpoint office {region}", at=SystemClock().now())


def register(cloud_app: typer.Typer) -> None:
    """Add the operators' commands to the ``coalguard cloud`` group."""
    cloud_app.command("migrate")(migrate)
    cloud_app.add_typer(users_app, name="users")
    cloud_app.add_typer(report_app, name="report")
    cloud_app.add_typer(checkpoint_app, name="checkpoint")
    from coalguard.cli import cloud_keys, cloud_profiles

    cloud_app.add_typer(cloud_profiles.app, name="profiles")
    cloud_app.add_typer(cloud_keys.app, name="keys")
