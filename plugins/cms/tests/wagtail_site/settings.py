"""A small Wagtail site for the connector's contract tests: one page model, the public API v2
and eventyay's companion app (signed writes for push).

Its SQLite database lives where ``WAGTAIL_TEST_DB`` points (a temporary file of the session).
"""

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "wagtail-test-site-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "wagtail_site.site_pages",
    "eventyay_cms.wagtail_companion",
    "wagtail.api.v2",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "wagtail_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("WAGTAIL_TEST_DB", os.path.join(BASE_DIR, "wagtail.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
WAGTAIL_SITE_NAME = "Conference site"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
# Where a published page's signed notice goes (the eventyay connection's webhook), if anywhere.
EVENTYAY_WEBHOOK_URL = os.environ.get("EVENTYAY_WEBHOOK_URL", "")
EVENTYAY_WEBHOOK_SECRET = os.environ.get("EVENTYAY_WEBHOOK_SECRET", "")
# The companion: pushed pages are ConferencePages under the default home page.
EVENTYAY_COMPANION_SECRET = "companion-secret-of-the-test-site"
EVENTYAY_COMPANION_PARENT_PAGE = "/home/"
EVENTYAY_COMPANION_PAGE_MODEL = "site_pages.ConferencePage"
EVENTYAY_COMPANION_FIELDS = {"body": "body"}
