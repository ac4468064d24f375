"""factory-boy factories, one module per app; the accounts ones (users, the PIN) are imported from here too."""

from tests.factories.accounts import DEFAULT_PASSWORD, DEFAULT_PIN, UserFactory, pin_token

__all__ = ["DEFAULT_PASSWORD", "DEFAULT_PIN", "UserFactory", "pin_token"]
