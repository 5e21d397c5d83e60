from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "caseway.core"
    label = "core"
