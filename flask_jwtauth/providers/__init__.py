"""Sign-in providers: the protocol every provider follows, and the credentials provider."""

from .base import (
    Outcome,
    Provider,
    ProviderRequest,
    Redirect,
    RefreshOutcomeUnknown,
    RefreshRefused,
    RefreshUnavailable,
    Refused,
    SignedIn,
    account_id,
)
from .credentials import CredentialField, CredentialsProvider, CredentialsSignin

__all__ = [
    "CredentialField",
    "CredentialsProvider",
    "CredentialsSignin",
    "Outcome",
    "Provider",
    "ProviderRequest",
    "Redirect",
    "RefreshOutcomeUnknown",
    "RefreshRefused",
    "RefreshUnavailable",
    "Refused",
    "SignedIn",
    "account_id",
]
