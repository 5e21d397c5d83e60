from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "caseway.connectors"
    label = "connectors"

    def ready(self) -> None:
        from caseway.connectors import chat, portal, registry

        registry.register(portal.PortalAdapter())
        registry.register(chat.ChatAdapter())
