from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: Slugs that would shadow top-level URLs.
RESERVED_SLUGS = frozenset(
    {
        "control",
        "api",
        "static",
        "media",
        "healthz",
        "admin",
        "about",
        "login",
        "logout",
        "ws",
        "oauth",
        "locale",
        "csp",
        "favicon.ico",
        "robots.txt",
        "__debug__",
    }
)


def validate_slug_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved, please choose another."), params={"slug": value})
