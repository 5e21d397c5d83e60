from django.apps import AppConfig


class LivechatConfig(AppConfig):
    name = "caseway.livechat"
    label = "livechat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from caseway.cases.events import CaseAssigned
        from caseway.core.events import subscribe
        from caseway.livechat import handlers

        subscribe(CaseAssigned, handlers.on_case_assigned)
