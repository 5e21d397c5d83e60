from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "caseway.customers"
    label = "customers"
