from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "caseway.sla"
    label = "sla"
    verbose_name = "SLAs and entitlements"

    def ready(self) -> None:
        from caseway.cases.events import CaseUpdated
        from caseway.core.events import subscribe
        from caseway.sla import handlers

        subscribe(CaseUpdated, handlers.on_case_updated)
