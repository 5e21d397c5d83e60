from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "caseway.routing"
    label = "routing"
    verbose_name = "Routing and assignment"
