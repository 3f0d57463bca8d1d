"""Short public codes: six characters of ``[A-Z0-9]`` without look-alikes (the frab ``code``)."""

from __future__ import annotations

import secrets

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"
CODE_LENGTH = 6


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def generate_unique_code(model: type, field: str = "code", **filters: object) -> str:
    """A code not yet used by ``model`` (within ``filters``); collisions are rare, so retry."""
    from django_scopes import scopes_disabled

    with scopes_disabled():
        while True:
            code = generate_code()
            # Any model class with a code: the stubs' Model declares no ``objects`` manager.
            if not model.objects.filter(**{field: code}, **filters).exists():  # type: ignore[attr-defined]
                return code
