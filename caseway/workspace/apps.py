from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "caseway.workspace"
    label = "workspace"
