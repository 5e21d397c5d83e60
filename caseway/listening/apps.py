from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "caseway.listening"
    label = "listening"
    verbose_name = "Social listening"
