from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "caseway.knowledge"
    label = "knowledge"
