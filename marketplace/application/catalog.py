"""Use cases for accounts, providers and offerings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from events.types import Contact, OrganizationIdentifier, Role
from marketplace.domain.accounts import (
    Account,
    Credential,
    CredentialLedger,
    require_credential_manager,
)
from marketplace.domain.districts import District
from marketplace.domain.errors import InvalidValue, NotAllowed, NotFound, StaleVersion
from marketplace.domain.offerings import Offering
from marketplace.domain.providers import Provider

if TYPE_CHECKING:
    from marketplace.application import MarketplaceBase as _Base
else:
    _Base = object


class CatalogUseCases(_Base):
    # Accounts ------------------------------------------------------------------------------

    def authenticate(self, token: str) -> Account | None:
        """The account a bearer token belongs to, or None for an unknown or revoked token.

        The credential is kept between requests and brought up to date from the event store at
        each one (``credentials``); it is only looked at, so the kept one serves."""
        try:
            credential = self.credentials.get(Credential.id_for(token), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        if not isinstance(credential, Credential) or credential.revoked:
            return None
        return self.get_caller(credential.account_id)

    def open_account(
        self, by: Account | None, role: Role, name: str, organization_id: UUID | None = None
    ) -> tuple[Account, str]:
        """Open an account with its first token; the token is returned here and never again."""
        kind = None
        if organization_id is not None:
            organization = self.get_organization(organization_id)
            kind = "provider" if isinstance(organization, Provider) else "district"
        account = Account.open(by, role, name, organization_id, kind)
        credential, token = Credential.issue(by, account)
        ledger = CredentialLedger.open(by, account.id)
        ledger.record(by, CredentialLedger.ISSUED, [credential])
        self.save(account, credential, ledger)
        return account, token

    # Credentials: ``by`` None is the operator at the console ---------------------------------

    def credential_holder(self, by: Account | None, account_id: UUID) -> Account:
        """The account whose tokens ``by`` would manage. Refused (403) before the account is
        looked for (404), so a caller learns nothing of accounts that are not its own."""
        require_credential_manager(by, account_id)
        return self.get_account(account_id)

    def issue_credential(self, by: Account | None, account_id: UUID) -> tuple[Credential, str]:
        """A new token for the account (its own rotation, an admin's or the operator's); the
        token is returned here and never again."""
        holder = self.credential_holder(by, account_id)
        ledger = self._credential_ledger(by, account_id)
        credential, token = Credential.issue(by, holder)
        ledger.record(by, CredentialLedger.ISSUED, [credential])
        self.save(credential, ledger)
        return credential, token

    def _credential_ledger(self, by: Account | None, account_id: UUID) -> CredentialLedger:
        """The account's ledger of token changes as it stands (opened here for an account that
        has none yet: two opening it at once collide on its derived id, as any race on it)."""
        ledger = self.load_optional(CredentialLedger.id_for(account_id))
        if isinstance(ledger, CredentialLedger):
            return ledger
        return CredentialLedger.open(by, account_id)

    def revoke_credential(self, by: Account | None, credential_id: UUID, reason: str) -> Credential:
        credential = self.load_optional(credential_id)
        if not isinstance(credential, Credential) or not credential.is_visible_to(by):
            raise NotFound(f"credential {credential_id} not found")
        credential.revoke(by, reason)
        self.save(credential)
        return credential

    def revoke_credentials(
        self,
        by: Account | None,
        account_id: UUID,
        listed: Callable[[], Iterable[UUID]],
        reason: str,
    ) -> list[Credential]:
        """Revoke every live credential of the account among those ``listed`` gives (the
        account's live ones as the credentials read model lists them, caught up to the log
        head: asked only once ``by`` may manage the account's tokens and the account is found),
        all in one save: either every one is revoked or none is. Returns those revoked.

        The account's ledger is read before the listing and moved in the same save, even when
        none is live: a token issued meanwhile moves it too, so one of the two saves fails as a
        concurrent write (409), and the revocation, tried again, lists that token."""
        account = self.credential_holder(by, account_id)
        ledger = self._credential_ledger(by, account_id)
        credentials = [self._get(Credential, c, "credential") for c in listed()]
        revoked = Credential.revoke_all(by, account, credentials, reason)
        ledger.record(by, CredentialLedger.REVOKED_ALL, revoked)
        self.save(*revoked, ledger)
        return revoked

    # Providers -----------------------------------------------------------------------------

    def register_provider(
        self,
        by: Account,
        legal_name: str,
        identifier: OrganizationIdentifier,
        website: str | None,
        contact: Contact,
    ) -> Provider:
        by.require_role(Role.PROVIDER)  # another role is told so, not that the provider exists
        if self.load_optional(Provider.id_for(identifier)) is not None:
            scheme, number = identifier.scheme.strip(), identifier.id.strip()
            raise InvalidValue(
                f"provider {scheme} {number} is already registered",
                {"identifier": ["already registered"]},
            )
        # Two registrations racing past this check collide on the derived id: one is saved, the
        # other fails as a concurrent write (409).
        provider = Provider.register(by, legal_name, identifier, website, contact)
        self.save(provider, by)
        return provider

    # Offerings -----------------------------------------------------------------------------

    def draft_offering(self, by: Account, details: dict[str, Any]) -> Offering:
        offering = Offering.draft(by, details)
        try:  # kept once read (a provider is never removed), so no read per draft
            self.provider_legal_name(offering.provider_id)
        except NotFound:
            raise NotAllowed(
                f"this account acts for {offering.provider_id}, which is not a registered provider"
            ) from None
        self.save(offering)
        return offering

    def revise_offering(
        self,
        by: Account,
        offering_id: UUID,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> Offering:
        offering = self._get_expected(by, offering_id, expected_version)
        offering.revise(by, changes)
        self.save(offering)
        return offering

    def publish_offering(
        self, by: Account, offering_id: UUID, expected_version: int | None = None
    ) -> Offering:
        offering = self._get_expected(by, offering_id, expected_version)
        offering.publish(by)
        self.save(offering)
        return offering

    def withdraw_offering(
        self,
        by: Account,
        offering_id: UUID,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Offering:
        offering = self._get_expected(by, offering_id, expected_version)
        offering.withdraw(by, reason)
        self.save(offering)
        return offering

    def _get_expected(
        self, by: Account, offering_id: UUID, expected_version: int | None
    ) -> Offering:
        offering = self.get_offering(offering_id)
        if not offering.is_visible_to(by):  # another provider's draft: as if it did not exist
            raise NotFound(f"offering {offering_id} not found")
        if expected_version is not None and offering.version != expected_version:
            raise StaleVersion(
                f"offering {offering_id} is at version {offering.version}, "
                f"not {expected_version}: reload it and retry"
            )
        return offering

    def get_organization(self, organization_id: UUID) -> Provider | District:
        found = self.load_optional(organization_id)
        if not isinstance(found, (Provider, District)):
            raise NotFound(f"organization {organization_id} not found (a provider or a district)")
        return found
