"""``coalguard gateway users``: the checkpoint's local operator accounts.

Run on the checkpoint PC by whoever administers it (it writes the gateway's
database directly; the running service sees changes at once). Messages come
from the locale catalog (Chinese by default).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from coalguard.cli.options import Lang, lang_or_default
from coalguard.edge.clock import SystemClock
from coalguard.errors import words_of
from coalguard.gateway.accounts import Accounts
from coalguard.gateway.config import load_config
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.roles import ROLE_NAMES, Role
from coalguard.gateway.store import Store
from coalguard.i18n import t

app = typer.Typer(help="Operator accounts of this checkpoint (roles: operator, shift_lead, admin).")

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="Gateway TOML file.", envvar="COALGUARD_GATEWAY_CONFIG"),
]
NameArg = Annotated[str, typer.Argument(help="Account name (2-32 of A-Z a-z 0-9 _ . -).")]
RoleOpt = Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLE_NAMES)}.")]


@contextmanager
def _accounts(config: Path, lang: str) -> Iterator[Accounts]:
    """The accounts of the gateway's database; a refusal is one line in ``lang``, exit 2."""
    cfg = load_config(config)
    store = Store(cfg.db_path)
    try:
        yield Accounts(store, SystemClock(), cfg.auth)
    except GatewayError as exc:
        typer.echo(t("cli_error.line", lang).format(message=exc.text(lang)), err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()


def _role(name: str, lang: str) -> Role:
    try:
        return Role.parse(name)
    except ValueError as exc:
        raise typer.BadParameter(words_of(exc, lang)) from None


def _password(lang: str) -> str:
    """Asked twice on a terminal; read as one line from a pipe (scripts, tests)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt(t("gw_auth.password", lang), hide_input=True)
    if typer.prompt(t("gw_auth.password", lang), hide_input=True) != first:
        typer.echo(t("gw_auth.passwords_differ", lang), err=True)
        raise typer.Exit(2)
    return first


@app.command("add")
def add(
    config: ConfigOpt,
    username: NameArg,
    role: RoleOpt = "operator",
    display_name: Annotated[str, typer.Option("--name", help="Name shown in the books.")] = "",
    lang: Lang = "",
) -> None:
    """Add an account; the password is asked for (or read from standard input)."""
    lang = lang_or_default(lang)
    r = _role(role, lang)
    with _accounts(config, lang) as acc:
        acc.add(username, _password(lang), r, display_name)
    typer.echo(
        t("gw_auth.added", lang).format(username=username, role=t(f"gw_auth.role_{r.name}", lang))
    )


@app.command("list")
def list_(config: ConfigOpt, lang: Lang = "") -> None:
    """List accounts with their role and state."""
    lang = lang_or_default(lang)
    with _accounts(config, lang) as acc:
        users = acc.all()
    if not users:
        typer.echo(t("gw_auth.no_users", lang))
        return
    typer.echo(t("gw_auth.list_header", lang))
    for u in users:
        state = t("gw_auth.state_disabled" if u.disabled else "gw_auth.state_active", lang)
        typer.echo(
            f"{u.username}\t{u.display_name}\t{t(f'gw_auth.role_{u.role.name}', lang)}\t{state}"
        )


@app.command("passwd")
def passwd(config: ConfigOpt, username: NameArg, lang: Lang = "") -> None:
    """Set a new password (ends the account's sessions)."""
    lang = lang_or_default(lang)
    with _accounts(config, lang) as acc:
        acc.set_password(username, _password(lang))
    typer.echo(t("gw_auth.password_set", lang).format(username=username))


def _switch_command(name: str, disabled: bool, done: str, doc: str) -> None:
    """``disable`` and ``enable``: one command but for the flag it sets and the words it says."""

    def switch(config: ConfigOpt, username: NameArg, lang: Lang = "") -> None:
        lang = lang_or_default(lang)
        with _accounts(config, lang) as acc:
            acc.set_disabled(username, disabled)
        typer.echo(t(done, lang).format(username=username))

    switch.__doc__ = doc
    app.command(name)(switch)


_switch_command(
    "disable",
    True,
    "gw_auth.disabled_done",
    "Disable an account (ends its sessions; its API token stops working).",
)
_switch_command("enable", False, "gw_auth.enabled_done", "Enable a disabled account again.")


@app.command("role")
def set_role(config: ConfigOpt, username: NameArg, role: RoleOpt, lang: Lang = "") -> None:
    """Change an account's role."""
    lang = lang_or_default(lang)
    r = _role(role, lang)
    with _accounts(config, lang) as acc:
        acc.set_role(username, r)
    typer.echo(
        t("gw_auth.role_set", lang).format(
            username=username, role=t(f"gw_auth.role_{r.name}", lang)
        )
    )


@app.command("unlock")
def unlock(config: ConfigOpt, username: NameArg, lang: Lang = "") -> None:
    """Forget an account's failed sign-ins (after checking who made them)."""
    lang = lang_or_default(lang)
    with _accounts(config, lang) as acc:
        n = acc.unlock(username)
    typer.echo(t("gw_auth.unlocked", lang).format(username=username, n=n))


@app.command("token")
def token(config: ConfigOpt, username: NameArg, lang: Lang = "") -> None:
    """Issue an API token for scripts acting as this account (replaces the old one)."""
    lang = lang_or_default(lang)
    with _accounts(config, lang) as acc:
        value = acc.issue_token(username)
    typer.echo(t("gw_auth.token_issued", lang).format(username=username), err=True)
    typer.echo(value)
