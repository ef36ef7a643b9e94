"""Operator commands: `flask --app webhook accounts|data ...`, and `flask --app webhook sweep`."""

from __future__ import annotations

import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from webhook import sweeper
from webhook.accounts import ROLES, AccountError, Accounts
from webhook.erase import erase_conversation
from webhook.services import services
from webhook.sms_channel import channel
from webhook.stored import describe_ttl, keys_about, reseal_all

accounts = AppGroup("accounts", help="Create, disable and list advocate console accounts.")
data = AppGroup("data", help="Show or erase what Puente keeps about one conversation.")


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


def conversation_of(conversation_id: str, phone_stdin: bool) -> str:
    """The id given, or the id that stands for a phone number read from stdin (never an arg)."""
    if not phone_stdin:
        if not conversation_id:
            raise click.UsageError("give a conversation id, or --phone-stdin")
        return conversation_id
    vault = channel().vault
    if vault is None:
        raise click.ClickException("the SMS channel's keys are not configured")
    return vault.conversation_id(sys.stdin.readline().strip())


@data.command("show")
@click.argument("conversation_id", required=False, default="")
@click.option("--phone-stdin", is_flag=True, help="Read a phone number from standard input.")
def show(conversation_id: str, phone_stdin: bool) -> None:
    """Print every key kept about a conversation, its type and when it expires."""
    conversation_id = conversation_of(conversation_id, phone_stdin)
    found = keys_about(services().redis, conversation_id)
    click.echo(f"conversation {conversation_id}: {len(found)} keys")
    for stored in found:
        click.echo(f"{stored.key}\t{stored.kind}\texpires in {describe_ttl(stored.ttl_seconds)}")


@data.command("erase")
@click.argument("conversation_id", required=False, default="")
@click.option("--phone-stdin", is_flag=True, help="Read a phone number from standard input.")
def erase(conversation_id: str, phone_stdin: bool) -> None:
    """Erase a conversation as "delete my data" does (a person who asked by other means)."""
    conversation_id = conversation_of(conversation_id, phone_stdin)
    if not erase_conversation(services().redis, conversation_id):
        raise click.ClickException("Redis did not answer: nothing was erased")
    left = keys_about(services().redis, conversation_id)
    click.echo(f"erased {conversation_id}; keys left: {len(left)}")
    for stored in left:  # the opt-out record outlives the conversation: it is their consent
        click.echo(f"{stored.key}\t{stored.kind}\texpires in {describe_ttl(stored.ttl_seconds)}")


@data.command("reseal")
def reseal() -> None:
    """Re-encrypt everything under the newest keys (docs/SECURITY.md, "Keys and rotation")."""
    vault = channel().vault
    done = reseal_all(services().redis, services().sealer, vault.sealer if vault else None)
    click.echo(f"re-encrypted {done.values} values; {done.unreadable} no current key opens")


# Under gunicorn the web workers do not sweep: this one process does (docs/DEPLOY.md).
DEFAULT_SWEEP_SECONDS = 15.0


@click.command("sweep")
@with_appcontext
def sweep() -> None:
    """Send still-in-line updates and held texts until stopped (run exactly one per deployment)."""
    app = current_app._get_current_object()
    interval = app.config["SWEEP_INTERVAL_SECONDS"] or DEFAULT_SWEEP_SECONDS
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"sweeping every {interval:g} s", err=True)
    sweeper.run_forever(app, interval, stop)
