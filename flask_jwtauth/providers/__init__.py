"""Sign-in providers: a common base, and the credentials provider."""

from .base import Provider
from .credentials import CredentialField, CredentialsProvider

__all__ = ["CredentialField", "CredentialsProvider", "Provider"]
