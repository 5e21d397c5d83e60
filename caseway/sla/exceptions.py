class SlaError(Exception):
    """Base of the errors the sla app raises."""


class EntitlementExhausted(SlaError):
    """The contract that covers this case has no cases or hours left and blocks new cases."""
