from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "eventyay.public"
    label = "eventyay_public"
