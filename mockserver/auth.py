"""Bearer tokens: any well-formed one is accepted unless the server was given --token."""

import hmac

from .errors import ApiError

_HINT = "Send an Authorization: Bearer <token> header."


def check_bearer(header: str | None, accepted: str | None) -> str:
    """Return the token, or raise 401 saying what is wrong with the header."""
    if not header:
        raise _unauthorized(f"Unauthenticated. {_HINT}")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _unauthorized(f"Unauthenticated. The Authorization header must be 'Bearer <token>'. {_HINT}")
    if accepted is not None and not hmac.compare_digest(token.encode(), accepted.encode()):
        raise _unauthorized("Unauthenticated. This server accepts only the token it was started with (--token).")
    return token


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer realm="mockserver"'})
