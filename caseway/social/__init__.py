"""Social: the Facebook Page and X webhooks at /hooks/facebook/ and /hooks/x/. Verifies each
delivery, keeps it as it arrived (WebhookDelivery), then hands direct messages to
caseway.intake and public posts to caseway.listening. Imports core, connectors, intake,
listening."""
