from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "caseway.connectors"
    label = "connectors"

    def ready(self) -> None:
        from caseway.connectors import chat, facebook, portal, registry, x
        from caseway.connectors.email.outbound import EmailAdapter
        from caseway.connectors.telephony.sms import SmsAdapter

        registry.register(portal.PortalAdapter())
        registry.register(EmailAdapter())
        registry.register(SmsAdapter())
        registry.register(chat.ChatAdapter())
        registry.register(facebook.FacebookAdapter())
        registry.register(x.XAdapter())
