from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "caseway.workspace"
    label = "workspace"

    def ready(self) -> None:
        from caseway.workspace import live

        live.subscribe_all()
