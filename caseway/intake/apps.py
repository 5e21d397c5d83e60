from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "caseway.intake"
    label = "intake"

    def ready(self) -> None:
        from caseway.core.events import subscribe
        from caseway.intake import handlers
        from caseway.intake.events import MessageReceived

        subscribe(MessageReceived, handlers.on_message_received)
