class ApiError(Exception):
    """Base of the errors the api app's services raise."""


class TokenNotYours(ApiError):
    """Only the token's own user or an admin may revoke it."""


class UnsafeUrl(ApiError):
    """A webhook URL we will not POST to (scheme, or a private address)."""
