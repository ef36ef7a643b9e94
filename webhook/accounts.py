"""Advocate console accounts in Redis: hashed passwords, roles, languages read; sign-in throttle."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import List, Optional

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from webhook import keys

ADVOCATE, SUPERVISOR = "advocate", "supervisor"
ROLES = (ADVOCATE, SUPERVISOR)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_CHARS = 12
# Checked when the username does not exist: a wrong name costs as long as a wrong password.
_UNKNOWN_USER_HASH = generate_password_hash("no such account: " + "x" * 24)

FAILED_SIGN_IN_WINDOW_SECONDS = 15 * 60
# An account nobody signs in with for a year expires: nothing is kept forever, and a forgotten
# account is one an attacker could use. Each sign-in and each operator change renews it.
ACCOUNT_IDLE_SECONDS = 365 * 86_400
MAX_FAILED_PER_ACCOUNT = 5  # then that account waits out the window
MAX_FAILED_PER_ADDRESS = 20  # one client guessing across many accounts


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


@dataclass
class Account:
    """One console user; Flask-Login's user object."""

    username: str
    name: str
    role: str
    languages: List[str] = field(default_factory=list)
    disabled: bool = False
    password_hash: str = ""

    # Flask-Login's interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return not self.disabled

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.username

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR

    def reads(self, language: str) -> bool:
        """True when the advocate reads this language without a machine translation."""
        return language in self.languages


class Accounts:
    """The console's accounts; the connection is passed in."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    def create(
        self, username: str, password: str, role: str, languages: List[str], name: str = ""
    ) -> Account:
        """A new account; refuses a taken or malformed username, a weak password or a bad role."""
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError("username: 2-40 characters, lowercase letters, digits, . _ -")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        check_password(password)
        fields = {
            "name": name or username,
            "role": role,
            "languages": ",".join(sorted({code.strip() for code in languages if code.strip()})),
            "disabled": "0",
            "password_hash": generate_password_hash(password),
        }
        if not self.redis.hsetnx(keys.account(username), "role", role):
            raise AccountError(f"account {username} already exists")
        with self.redis.pipeline() as pipe:
            pipe.hset(keys.account(username), mapping=fields)
            pipe.sadd(keys.accounts(), username)
            pipe.execute()
        self.renew(username)
        return self.get(username)  # type: ignore[return-value]

    def renew(self, username: str) -> None:
        """Another year before an unused account expires (its listing lives as long as the last)."""
        with self.redis.pipeline() as pipe:
            pipe.expire(keys.account(username), ACCOUNT_IDLE_SECONDS)
            pipe.expire(keys.accounts(), ACCOUNT_IDLE_SECONDS)
            pipe.execute()

    def get(self, username: str) -> Optional[Account]:
        """The account, or None."""
        raw = self.redis.hgetall(keys.account(username))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return Account(
            username=username,
            name=fields.get("name", username),
            role=fields.get("role", ADVOCATE),
            languages=[code for code in fields.get("languages", "").split(",") if code],
            disabled=fields.get("disabled") == "1",
            password_hash=fields.get("password_hash", ""),
        )

    def all(self) -> List[Account]:
        """Every account, by username."""
        names = sorted(raw.decode() for raw in self.redis.smembers(keys.accounts()))
        return [account for account in map(self.get, names) if account is not None]

    def set_disabled(self, username: str, disabled: bool) -> Account:
        """Disables (signs out at the next request) or enables an account."""
        if not self.redis.exists(keys.account(username)):
            raise AccountError(f"no account {username}")
        self.redis.hset(keys.account(username), "disabled", "1" if disabled else "0")
        self.renew(username)
        return self.get(username)  # type: ignore[return-value]

    def set_password(self, username: str, password: str) -> None:
        """Replaces the password."""
        if not self.redis.exists(keys.account(username)):
            raise AccountError(f"no account {username}")
        check_password(password)
        self.redis.hset(keys.account(username), "password_hash", generate_password_hash(password))
        self.renew(username)

    def verify(self, username: str, password: str) -> Optional[Account]:
        """The active account these credentials open, or None."""
        account = self.get(username.strip().lower()) if USERNAME.match(username) else None
        known = check_password_hash(
            account.password_hash if account else _UNKNOWN_USER_HASH, password
        )
        if account is None or not known or account.disabled:
            return None
        self.renew(account.username)
        return account


def check_password(password: str) -> None:
    """Refuses a password too short to survive guessing."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"password: at least {MIN_PASSWORD_CHARS} characters")


class SignInThrottle:
    """Counts failed sign-ins per account and per client address; blocks guessing."""

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection

    @staticmethod
    def _who(kind: str, value: str) -> str:
        # Client addresses are staff's: a one-way tag, never the address, goes into a key.
        return kind + ":" + hashlib.sha256(value.encode()).hexdigest()[:16]

    def _keys(self, username: str, address: str, now: float) -> List[str]:
        window = int(now // FAILED_SIGN_IN_WINDOW_SECONDS)
        return [
            keys.failed_sign_ins(self._who("account", username.lower()), window),
            keys.failed_sign_ins(self._who("address", address), window),
        ]

    def blocked(self, username: str, address: str, now: Optional[float] = None) -> bool:
        """True when this account or this address failed too often in the current window."""
        account_key, address_key = self._keys(username, address, now or time.time())
        by_account, by_address = self.redis.mget(account_key, address_key)
        return int(by_account or 0) >= MAX_FAILED_PER_ACCOUNT or (
            int(by_address or 0) >= MAX_FAILED_PER_ADDRESS
        )

    def failed(self, username: str, address: str, now: Optional[float] = None) -> None:
        """Counts one failed sign-in."""
        with self.redis.pipeline() as pipe:
            for key in self._keys(username, address, now or time.time()):
                pipe.incr(key)
                pipe.expire(key, FAILED_SIGN_IN_WINDOW_SECONDS * 2)
            pipe.execute()
