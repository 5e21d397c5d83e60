from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "caseway.assist"
    label = "assist"
    verbose_name = "Assist (bot)"
