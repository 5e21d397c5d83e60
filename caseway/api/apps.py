from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "caseway.api"
    label = "api"

    def ready(self) -> None:
        from caseway.api import handlers
        from caseway.cases.events import ActivityAdded
        from caseway.core.events import subscribe

        subscribe(ActivityAdded, handlers.on_activity_added)
