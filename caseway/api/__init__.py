"""REST API (django-ninja) under /api/v1/ for the customer's own apps, kiosks and
integrations; token auth. Imports intake, cases, customers, core. Publishes nothing."""
