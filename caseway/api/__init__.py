"""REST API (django-ninja) under /api/v1/ for the customer's own apps, kiosks and
integrations; bearer tokens (ApiToken) or the browser session. Imports intake, cases,
customers, connectors, core. Publishes nothing."""
