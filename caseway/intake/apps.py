from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "caseway.intake"
    label = "intake"
