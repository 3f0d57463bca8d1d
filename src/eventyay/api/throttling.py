"""Rate limits per API client: one bucket per team token, OAuth token, user, or else IP address."""

from __future__ import annotations

from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from eventyay.api.permissions import is_oauth_token
from eventyay.base.models import TeamAPIToken


class ClientRateThrottle(SimpleRateThrottle):
    """``DEFAULT_THROTTLE_RATES["api"]`` requests per client; answers 429 with ``Retry-After``."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read at call time, so a changed setting applies without a restart of the class.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str:
        auth = request.auth
        if isinstance(auth, TeamAPIToken):
            ident = f"token-{auth.pk}"
        elif is_oauth_token(auth):
            ident = f"oauth-{auth.pk}"
        elif request.user is not None and getattr(request.user, "pk", None):
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
