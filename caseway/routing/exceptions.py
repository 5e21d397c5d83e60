class RoutingError(Exception):
    """Base of the errors the routing app raises."""


class NoOffer(RoutingError):
    """The agent has no open offer of this case."""


class OverCapacity(RoutingError):
    """The agent has no capacity left for this kind of work."""


class CaseTaken(RoutingError):
    """Another agent owns the case already."""
