from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "caseway.api"
    label = "api"

    def ready(self) -> None:
        from django.conf import settings

        from caseway.api.handlers import send_case_events
        from caseway.core.periodic import register_periodic

        register_periodic(
            name="case updates out",
            function=send_case_events,
            interval=lambda: float(settings.CASEWAY_OUTBOUND_DISPATCH_SECONDS),
        )
