from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "eventyay.control"
    label = "eventyay_control"
