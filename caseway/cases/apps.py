from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "caseway.cases"
    label = "cases"

    def ready(self) -> None:
        from caseway.cases import handlers
        from caseway.cases.events import CaseUpdated
        from caseway.core.events import subscribe

        subscribe(CaseUpdated, handlers.on_case_updated)
