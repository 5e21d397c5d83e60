from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "caseway.routing"
    label = "routing"
    verbose_name = "Routing and assignment"

    def ready(self) -> None:
        from caseway.cases.events import CaseAssigned, CaseUpdated
        from caseway.core.events import subscribe
        from caseway.routing import handlers
        from caseway.routing.events import CaseRouted, PresenceChanged

        subscribe(CaseRouted, handlers.on_case_routed)
        subscribe(PresenceChanged, handlers.on_presence_changed)
        subscribe(CaseAssigned, handlers.on_case_assigned)
        subscribe(CaseUpdated, handlers.on_case_updated)
