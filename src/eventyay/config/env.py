"""Reading the ``EVENTYAY_*`` configuration: environment first, then the optional config file.

The config file (``EVENTYAY_CONFIG_FILE``) is an INI file whose ``[eventyay]`` section uses the
same names as the environment without the prefix, in lower case::

    [eventyay]
    db_url = postgres://eventyay@localhost/eventyay
    redis_url = redis://localhost:6379/0
    site_url = https://tickets.example.org
"""

from __future__ import annotations

import configparser
import contextlib
import os
import secrets
from pathlib import Path

PREFIX = "EVENTYAY_"
TRUE_VALUES = {"1", "true", "yes", "on"}


class Config:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.file = configparser.ConfigParser()
        path = self.environ.get(PREFIX + "CONFIG_FILE")
        if path:
            if not Path(path).is_file():
                raise RuntimeError(f"EVENTYAY_CONFIG_FILE points to {path!r}, which is not a readable file.")
            self.file.read(path, encoding="utf-8")

    def get(self, name: str, default: str = "") -> str:
        env_name = PREFIX + name.upper()
        if env_name in self.environ:
            return self.environ[env_name]
        return self.file.get("eventyay", name.lower(), fallback=default)

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.get(name, "")
        if value == "":
            return default
        return value.strip().lower() in TRUE_VALUES

    def get_bool_first(self, names: tuple[str, ...], default: bool = False) -> bool:
        """The first of ``names`` that is set, read as a boolean: a setting with older aliases."""
        for name in names:
            if self.get(name, "") != "":
                return self.get_bool(name, default)
        return default

    def get_list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.get(name, "")
        if not value.strip():
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]


#: ``EVENTYAY_OUTGOING_ALLOW_PRIVATE`` and the older names it replaced, newest first.
OUTGOING_ALLOW_PRIVATE_NAMES = (
    "outgoing_allow_private",
    "outgoing_http_allow_private",
    "webhooks_allow_private",
)


def outgoing_allow_private(config: Config) -> bool:
    """Whether outgoing requests to organizer-typed URLs may reach private addresses.

    One switch for every such request (webhooks, CMS connectors, plugins' fetches); the names
    of earlier releases are still read, the new name wins when both are set.
    """
    return config.get_bool_first(OUTGOING_ALLOW_PRIVATE_NAMES, False)


def generated_secret_key(key_file: Path) -> str:
    """The secret key kept in ``key_file``, created on first use.

    Only the owner may read it. Workers that start at the same moment all end up with the
    key of the first one: each writes a complete candidate to a file of its own and links it
    into place, which fails for every worker but the first, so nobody can read a half-written
    key or replace one that another worker already uses.
    """
    if not key_file.exists():
        candidate = key_file.with_name(f"{key_file.name}.{os.getpid()}.{secrets.token_hex(8)}")
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(50))
                fh.flush()
                os.fsync(fh.fileno())
            # The first worker's key wins; the others read it back below.
            with contextlib.suppress(FileExistsError):
                os.link(candidate, key_file)
        finally:
            candidate.unlink(missing_ok=True)
    elif key_file.stat().st_mode & 0o077:
        # Written by an older release that left it readable to others for a moment.
        key_file.chmod(0o600)
    return key_file.read_text(encoding="ascii").strip()
