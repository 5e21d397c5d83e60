from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "caseway.connectors"
    label = "connectors"

    def ready(self) -> None:
        from caseway.connectors import portal, registry
        from caseway.connectors.email.outbound import EmailAdapter

        registry.register(portal.PortalAdapter())
        registry.register(EmailAdapter())
