from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "caseway.cases"
    label = "cases"
