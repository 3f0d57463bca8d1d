"""Django settings for eventyay.

Everything is configured through ``EVENTYAY_*`` environment variables or the optional config
file (see :mod:`eventyay.config.env`). With nothing set, eventyay runs embedded: SQLite in the
data directory, local-memory cache, in-memory channel layer, eager Celery tasks and mail written
to files. ``EVENTYAY_DB_URL`` and ``EVENTYAY_REDIS_URL`` switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from eventyay.base.plugins.discovery import discover_plugins
from eventyay.config.env import Config, generated_secret_key, outgoing_allow_private

config = Config()
logger = logging.getLogger("eventyay.config")

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(config.get("data_dir", str(Path.cwd() / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = config.get_bool("debug", False)
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

_secret_key = config.get("secret_key")
if not _secret_key:
    # A generated key is kept in the data dir so sessions survive restarts of a self-hosted
    # instance that never set one.
    _secret_key = generated_secret_key(DATA_DIR / ".secret")
SECRET_KEY = _secret_key

SITE_URL = config.get("site_url", "http://127.0.0.1:8000").rstrip("/")
_site_host = urlsplit(SITE_URL).hostname or "127.0.0.1"
ALLOWED_HOSTS = config.get_list("allowed_hosts", [_site_host, "127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = [SITE_URL]

# --- plugins -----------------------------------------------------------------------------------
PLUGINS_EXCLUDE = config.get_list("plugins_exclude")
PLUGIN_DISCOVERY = discover_plugins(exclude=PLUGINS_EXCLUDE)
for _broken in PLUGIN_DISCOVERY.broken:
    logger.warning("Plugin %s is left off: %s", _broken.name, _broken.error)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "compressor",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "eventyay.base",
    "eventyay.control",
    "eventyay.public",
    "eventyay.api",
    *PLUGIN_DISCOVERY.installed_apps,
]

AUTH_USER_MODEL = "eventyay_base.User"
LOGIN_URL = "control:auth.login"
LOGIN_REDIRECT_URL = "control:index"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "eventyay.config.staticfiles.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "eventyay.base.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "eventyay.base.middleware.TenantMiddleware",
    "eventyay.api.middleware.ApiMiddleware",
]

ROOT_URLCONF = "eventyay.config.urls"
WSGI_APPLICATION = "eventyay.config.wsgi.application"
ASGI_APPLICATION = "eventyay.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eventyay.base.context.eventyay_context",
            ],
        },
    }
]

# --- database ----------------------------------------------------------------------------------
DB_URL = config.get("db_url")
#: A read replica for anonymous public pages and exports (see eventyay.base.db_router).
DB_REPLICA_URL = config.get("db_replica_url")
#: Connections go through PgBouncer in transaction mode: no server-side cursors (they would
#: outlive the transaction that holds the server connection) and no prepared statements.
DB_PGBOUNCER = config.get_bool("db_pgbouncer", False)
DB_POOL_SIZE = int(config.get("db_pool_size", "6") or 0)


def _database(url: str) -> dict[str, Any]:
    # No persistent per-thread connections: under ASGI they pile up until PostgreSQL refuses new
    # clients (see Django's ASGI notes). PostgreSQL connections come from a small pool per
    # process instead, which saves opening a connection (several milliseconds) on every request.
    database: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True))
    if not str(database["ENGINE"]).endswith("postgresql"):
        return database
    options: dict[str, Any] = database.setdefault("OPTIONS", {})
    if DB_POOL_SIZE > 0:
        # With CONN_HEALTH_CHECKS Django has the pool check a connection before handing it out.
        options["pool"] = {"min_size": 1, "max_size": DB_POOL_SIZE, "timeout": 10}
    if DB_PGBOUNCER:
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        options["prepare_threshold"] = None
    return database


DATABASE_ROUTERS: list[str] = []
if DB_URL:
    DATABASES = {"default": _database(DB_URL)}
    if DB_REPLICA_URL:
        # Tests run against the primary's test database only: the replica mirrors it there.
        DATABASES["replica"] = {**_database(DB_REPLICA_URL), "TEST": {"MIRROR": "default"}}
        DATABASE_ROUTERS = ["eventyay.base.db_router.ReplicaRouter"]
        MIDDLEWARE.insert(0, "eventyay.base.db_router.ReplicaReadsMiddleware")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "db.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests get a database file too, not Django's in-memory default: that one shares
            # one cache between connections, where a thread meeting another's transaction
            # fails at once ("database table is locked") instead of waiting its turn as it
            # does here. Live servers and websocket tests run requests on several threads.
            "TEST": {"NAME": str(DATA_DIR / "test-db.sqlite3")},
        }
    }
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, channels, celery -------------------------------------------------------------------
REDIS_URL = config.get("redis_url")
# Cache, channel layer and Celery broker may each have their own Redis (or Redis database);
# each defaults to EVENTYAY_REDIS_URL.
REDIS_CACHE_URL = config.get("redis_cache_url") or REDIS_URL
REDIS_CHANNELS_URL = config.get("redis_channels_url") or REDIS_URL
#: Seconds redis-py waits to open a channel-layer connection (see CHANNEL_LAYERS).
CHANNEL_LAYER_CONNECT_TIMEOUT = 5
REDIS_BROKER_URL = config.get("redis_broker_url") or REDIS_URL
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "eventyay.config.redis_cache.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "eventyay",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # No client-side read or write timeout on the layer's connections. A receive
                # blocks in Redis (BZPOPMIN) for up to 5 s, which is also redis-py's default
                # timeout, so an idle wait would often end in a client-side TimeoutError instead
                # of Redis's empty answer. And with a timeout redis-py sends each command through
                # asyncio.wait_for, which on Python 3.11 can swallow a cancellation: a fan-out
                # reader stopped at that moment would then wait on in Redis for good. Redis
                # always answers a blocking receive in time; a dead connection is found by TCP
                # keepalive (redis-py's default), and opening one is bounded.
                "hosts": [
                    {
                        "address": REDIS_CHANNELS_URL,
                        "socket_timeout": None,
                        "socket_connect_timeout": CHANNEL_LAYER_CONNECT_TIMEOUT,
                    }
                ],
                "prefix": "eventyay",
            },
        }
    }
    CELERY_BROKER_URL = REDIS_BROKER_URL
    CELERY_TASK_ALWAYS_EAGER = False
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "eventyay-outbox-retry": {"task": "eventyay.base.tasks.outbox_retry_due", "schedule": 60.0},
    "eventyay-webhooks-retry": {"task": "eventyay.base.tasks.webhooks_retry_due", "schedule": 60.0},
    "eventyay-jobs-sweep": {"task": "eventyay.base.tasks.jobs_sweep", "schedule": 60.0},
    "eventyay-deferred-effects-sweep": {
        "task": "eventyay.base.tasks.deferred_effects_sweep",
        "schedule": 60.0,
    },
    "eventyay-scheduled-exports": {"task": "eventyay.base.tasks.run_scheduled_exports", "schedule": 300.0},
}

# --- mail --------------------------------------------------------------------------------------
EMAIL_URL = config.get("email_url")
MAIL_FROM = config.get("mail_from", "eventyay@localhost")
DEFAULT_FROM_EMAIL = MAIL_FROM
SERVER_EMAIL = MAIL_FROM
# Seconds per SMTP operation: a send must end well within the outbox lease
# (eventyay.base.services.mail.MAIL_LEASE), or another worker would send the mail again.
EMAIL_TIMEOUT = 60
if EMAIL_URL:
    _mail = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = _mail.username or ""
    EMAIL_HOST_PASSWORD = _mail.password or ""
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")

# --- i18n --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Invoices, tickets, uploads and exports (eventyay.base.storage): outside MEDIA_ROOT, which the
# web server hands out to anyone, and only reachable through views that check permission.
PRIVATE_MEDIA_ROOT = DATA_DIR / "private"
# Let nginx send private files from its `internal` location instead of streaming them here.
PRIVATE_X_ACCEL = config.get_bool("private_x_accel", False)
PRIVATE_X_ACCEL_LOCATION = "/_private/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "eventyay.base.storage.PrivateStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FRONTEND_MODULES = BASE_DIR / "frontend" / "node_modules"
STATICFILES_DIRS = [
    (prefix, str(FRONTEND_MODULES / path))
    for prefix, path in [
        ("vendor/bootstrap", "bootstrap/dist"),
        ("vendor/htmx", "htmx.org/dist"),
        ("vendor/hls", "hls.js/dist"),
        ("vendor/janus", "janus-gateway/npm/dist"),
        ("vendor/webrtc-adapter", "webrtc-adapter/out"),
    ]
    if (FRONTEND_MODULES / path).is_dir()
]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "compressor.finders.CompressorFinder",
]
COMPRESS_ENABLED = not DEBUG
COMPRESS_OFFLINE = False
COMPRESS_ROOT = STATIC_ROOT
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
_https = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = not DEBUG and _https
CSRF_COOKIE_SECURE = not DEBUG and _https
SECURE_SSL_REDIRECT = config.get_bool("ssl_redirect", _https and not DEBUG)
# Health probes of load balancers and process managers talk plain HTTP to the app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _https else None
SECURE_HSTS_SECONDS = 31536000 if _https and not DEBUG else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = bool(SECURE_HSTS_SECONDS)
# Submitting the domain to the browsers' preload list is the operator's decision.
SECURE_HSTS_PRELOAD = config.get_bool("hsts_preload", False)
SILENCED_SYSTEM_CHECKS = (
    [] if _https else ["security.W004", "security.W008", "security.W012", "security.W016"]
) + ([] if SECURE_HSTS_PRELOAD else ["security.W021"])

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "https:"],
        "media-src": [SELF, "https:", "blob:"],
        "connect-src": [SELF, "ws:", "wss:", "https:"],
        "frame-src": ["https:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Instance policy: who may create organizers besides superusers.
ALLOW_ORGANIZER_CREATION = config.get_bool("allow_organizer_creation", True)
ALLOW_SIGNUP = config.get_bool("allow_signup", True)
LOGIN_RATE_LIMIT = (int(config.get("login_rate_limit", "10")), 300)  # failures per 5 minutes

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "eventyay.api.auth.TeamTokenAuthentication",
        "oauth2_provider.contrib.rest_framework.OAuth2Authentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "eventyay.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "eventyay.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "eventyay.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "eventyay.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["eventyay.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": config.get("api_rate_limit", "1200/min")},
}
# Requests to URLs that organizers typed (webhooks, CMS connectors, plugins' fetches) may reach
# loopback and private networks only when EVENTYAY_OUTGOING_ALLOW_PRIVATE is set (SSRF guard,
# eventyay.base.services.http); the older names outgoing_http_allow_private and
# webhooks_allow_private are still read.
OUTGOING_HTTP_ALLOW_PRIVATE = outgoing_allow_private(config)


def _plugin_enum_names() -> dict[str, str]:
    """Schema names of plugins' shared choice sets (``EventyayPluginMeta.api_enum_names``).

    drf-spectacular names a choice set after its field; two sets on fields of one name get a
    hashed name (``State33eEnum``) unless the set is named here.
    """
    names: dict[str, str] = {}
    for plugin in PLUGIN_DISCOVERY.plugins:
        module, _dot, class_name = plugin.app_config.rpartition(".")
        meta = getattr(sys.modules[module], class_name).EventyayPluginMeta
        names.update(getattr(meta, "api_enum_names", {}))
    return names


SPECTACULAR_SETTINGS = {
    "ENUM_NAME_OVERRIDES": _plugin_enum_names(),
    "TITLE": "eventyay API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "DEFAULT_GENERATOR_CLASS": "eventyay.api.schema.SchemaGenerator",
    "PREPROCESSING_HOOKS": ["eventyay.api.schema.only_api_paths"],
    # Plugins' schema warnings must not fail `check --deploy`; tests validate the schema.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "eventyay.api.schema.error_responses",
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "tokenAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Token <secret>",
            }
        }
    },
    "SECURITY": [{"tokenAuth": []}],
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read access", "write": "Write access", "profile": "Your name and email address"},
    "DEFAULT_SCOPES": ["read"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 60 * 60 * 24 * 60,
    "ROTATE_REFRESH_TOKEN": True,
    "SCOPES_BACKEND_CLASS": "eventyay.api.oauth.ScopesBackend",
    "OAUTH2_VALIDATOR_CLASS": "eventyay.api.oauth.Validator",
    # OAuth 2.0 Security BCP (RFC 9700): only the authorization code grant with S256 PKCE,
    # tokens stored hashed and only accepted in headers, refresh token replay revokes the family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Plain-http redirect URIs only where the instance itself runs on http (development).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if _https else ["https", "http"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "eventyay": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
