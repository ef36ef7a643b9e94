"""Operator commands: `flask --app webhook accounts create|disable|enable|password|list`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from webhook.accounts import ROLES, AccountError, Accounts
from webhook.services import services

accounts = AppGroup("accounts", help="Create, disable and list advocate console accounts.")


def read_password(from_stdin: bool) -> str:
    """The new password: one line from stdin (for scripts), else asked twice, never echoed."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def store() -> Accounts:
    return Accounts(services().redis)


def change(method: str, *args: object) -> None:
    """Calls an Accounts method; its refusal becomes a clear error and a non-zero exit."""
    try:
        getattr(store(), method)(*args)
    except AccountError as error:
        raise click.ClickException(str(error)) from error


@accounts.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default=ROLES[0], show_default=True)
@click.option("--languages", default="en", show_default=True, help="Codes it reads: en,es,...")
@click.option("--name", default="", help="The name colleagues see.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(username: str, role: str, languages: str, name: str, password_stdin: bool) -> None:
    """Create an account."""
    try:
        account = store().create(
            username, read_password(password_stdin), role, languages.split(","), name
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created {account.username} ({account.role}; reads {','.join(account.languages)})")


@accounts.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an account; it is signed out at its next request."""
    change("set_disabled", username, True)
    click.echo(f"disabled {username}")


@accounts.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled account again."""
    change("set_disabled", username, False)
    click.echo(f"enabled {username}")


@accounts.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def password(username: str, password_stdin: bool) -> None:
    """Set a new password."""
    change("set_password", username, read_password(password_stdin))
    click.echo(f"password changed for {username}")


@accounts.command("list")
def list_accounts() -> None:
    """List accounts: username, role, languages, state."""
    for account in store().all():
        state = "disabled" if account.disabled else "active"
        click.echo(f"{account.username}\t{account.role}\t{','.join(account.languages)}\t{state}")
