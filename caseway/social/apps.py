from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "caseway.social"
    label = "social"
    verbose_name = "Social webhooks"
