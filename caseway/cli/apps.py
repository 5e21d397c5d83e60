from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "caseway.cli"
    label = "cli"
