from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "caseway.portal"
    label = "portal"
