"""Command groups whose sub-commands are imported only when used.

Importing every sub-command module costs more than a second (the cloud app,
simulators, pymodbus, FastAPI); ``coalguard gateway users list`` needs none of
that. A group made with ``lazy_group`` lists its sub-commands as
``"name": "module:attribute"`` and imports a module only when its command runs
or when help must show every command. Help text, order and typo suggestions
are the same as with eager registration.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any, ClassVar

import click
import typer
from typer.core import TyperGroup


class LazyGroup(TyperGroup):
    """A Typer group that imports a sub-command's module on first use."""

    lazy_commands: ClassVar[dict[str, str]] = {}

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = _load(cmd_name, self.lazy_commands[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_all(ctx)
        return super().list_commands(ctx)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.lazy_commands:
            self._load_all(ctx)  # an unknown word: suggestions need every name
        return super().resolve_command(ctx, args)

    def _load_all(self, ctx: click.Context) -> None:
        loaded = {name: self.get_command(ctx, name) for name in self.lazy_commands}
        rest = {n: c for n, c in self.commands.items() if n not in loaded}
        self.commands = {**{n: c for n, c in loaded.items() if c is not None}, **rest}


def lazy_group(commands: dict[str, str]) -> type[LazyGroup]:
    """A ``LazyGroup`` class for ``typer.Typer(cls=…)`` with these ``name: "module:attr"``."""
    return type("LazyGroup", (LazyGroup,), {"lazy_commands": dict(commands)})


def _load(name: str, target: str) -> click.Command:
    """The click command for a Typer app or a command function at ``module:attr``."""
    module, _, attr = target.partition(":")
    obj: Any = getattr(import_module(module), attr)
    if isinstance(obj, typer.Typer):
        command: click.Command = typer.main.get_group(obj)
    else:
        command = _single_command(name, obj)
    command.name = name
    return command


def _single_command(name: str, func: Callable[..., Any]) -> click.Command:
    holder = typer.Typer(add_completion=False)
    holder.command(name)(func)
    return typer.main.get_command(holder)
