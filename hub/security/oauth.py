"""OAuth 2.0 token-endpoint errors (RFC 6749 §5.2) as hub errors.

Each class carries its RFC 6749 `error` code so the token endpoint can answer in the JSON shape
OAuth clients expect; anywhere else they still behave as their hub parent (401, 403, 400).
"""

from __future__ import annotations

from typing import ClassVar

from hub.errors import AuthenticationError, HubError, IssueCode, PermissionDeniedError


class OAuthError(HubError):
    oauth_error: ClassVar[str] = "invalid_request"


class InvalidRequestError(OAuthError):
    """A missing, repeated or malformed parameter, or two client authentication methods."""

    oauth_error = "invalid_request"
    default_code = IssueCode.INVALID


class InvalidClientError(OAuthError, AuthenticationError):
    """Client authentication failed: unknown or revoked client, bad secret or assertion.

    SMART Backend Services answers every failed assertion with `invalid_client` too.
    """

    oauth_error = "invalid_client"
    default_code = IssueCode.LOGIN


class UnsupportedGrantTypeError(OAuthError):
    oauth_error = "unsupported_grant_type"
    default_code = IssueCode.NOT_SUPPORTED


class InvalidScopeError(OAuthError, PermissionDeniedError):
    """A requested scope is malformed or beyond what the client was registered for."""

    oauth_error = "invalid_scope"
    default_code = IssueCode.FORBIDDEN
