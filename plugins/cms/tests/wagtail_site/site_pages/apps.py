from django.apps import AppConfig


class SitePagesConfig(AppConfig):
    name = "wagtail_site.site_pages"
    label = "site_pages"
    default_auto_field = "django.db.models.BigAutoField"
