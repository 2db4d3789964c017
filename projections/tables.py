"""Read-model tables. Alembic migrations in ``migrations/`` create exactly these (a test compares)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Document = JSON().with_variant(JSONB(), "postgresql")

SEARCH_FIELDS = ("title", "provider_name", "summary", "description")
"""The offering fields full text searches, most telling first. Each has a full-text table,
``offering_text_<field>``, made by the migrations because it differs by dialect: an FTS5 table on
SQLite, a table of stripped tsvectors with a GIN index on PostgreSQL."""

projection_positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    # Set when a batch after ``position`` could not be applied (an error other than the database
    # being busy or away); cleared when the position moves on.
    Column("failing_since", DateTime(timezone=True), nullable=True),
    Column("failure", String(200), nullable=True),
)

providers = Table(
    "providers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("legal_name", String(300), nullable=False),
    Column("identifier_scheme", String(40), nullable=False),
    Column("identifier_id", String(100), nullable=False),
    Column("website", Text, nullable=True),
    Column("contact", Document, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "legal_name"),
)

offerings = Table(
    "offerings",
    metadata,
    Column("id", Uuid, primary_key=True),
    # The log position of the offering's first event: a stable integer key (the full-text index
    # on SQLite is keyed by integers).
    Column("search_key", BigInteger, nullable=False, unique=True),
    Column("provider_id", Uuid, ForeignKey("providers.id"), nullable=False),
    Column("provider_name", String(300), nullable=False),
    Column("status", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("model_type", String(32), nullable=True),
    Column("delivery", String(32), nullable=True),
    Column("price_unit", String(40), nullable=True),
    Column("list_price_cents", BigInteger, nullable=True),
    Column("evidence_tier", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("document", Document, nullable=False),
    # Multi-valued facets as bit sets, one bit per value (codes in ``projections.facet_codes``).
    Column("subject_bits", Integer, nullable=False, server_default="0"),
    Column("grade_band_bits", Integer, nullable=False, server_default="0"),
    Column("interoperability_bits", Integer, nullable=False, server_default="0"),
    # The log position of the last event that changed the row: the catalog index in each web
    # process reads the rows changed since it last looked (``projections.catalog_index``).
    Column("changed_at", BigInteger, nullable=False, server_default="0"),
    Index(None, "provider_id"),
    Index(None, "changed_at"),
)

event_history = Table(
    "event_history",
    metadata,
    Column("aggregate_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("aggregate_type", String(40), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("changes", Document, nullable=False),
    Column("position", BigInteger, nullable=False),
)

# Procurement ----------------------------------------------------------------------------------
# No foreign key reaches another projection's tables (contracts name providers by id only), so
# each projection can be reset and rebuilt on its own.

districts = Table(
    "districts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("nces_id", String(7), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("state", String(2), nullable=False),
    Column("locale_code", Integer, nullable=False),
    Column("enrollment", Integer, nullable=False),
    Column("average_daily_attendance", Integer, nullable=False),
    Column("rural", Boolean, nullable=False),
    Column("small", Boolean, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "state", "name"),
)

consortia = Table(
    "consortia",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("lead_district_id", Uuid, ForeignKey("districts.id"), nullable=False),
    Column("formed_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    # [{effective_from, micro_purchase, simplified_acquisition}], in the order they were set
    Column("local_thresholds", Document, nullable=False),
    Index(None, "name"),
)

consortium_members = Table(
    "consortium_members",
    metadata,
    Column("consortium_id", Uuid, ForeignKey("consortia.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", Uuid, ForeignKey("districts.id"), primary_key=True),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Index(None, "district_id"),
)

# Public once published; never any proposal data, count or provider (proposals are sealed).
solicitations = Table(
    "solicitations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("consortium_id", Uuid, ForeignKey("consortia.id"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("status", String(16), nullable=False),
    Column("method", String(32), nullable=False),
    Column("required_method", String(32), nullable=False),
    Column("estimated_value_cents", BigInteger, nullable=False),
    Column("questions_due", DateTime(timezone=True), nullable=False),
    Column("proposals_due", DateTime(timezone=True), nullable=False),
    Column("joining_policy", String(32), nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("amendments", Integer, nullable=False),
    Column("question_count", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "status", "proposals_due"),
    Index(None, "consortium_id", "drafted_at"),
)

# Internal: for the deadline scheduler and a provider's own list. Never exposed publicly.
proposal_index = Table(
    "proposal_index",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("solicitation_id", Uuid, ForeignKey("solicitations.id"), nullable=False),
    Column("provider_id", Uuid, nullable=False),
    Column("status", String(16), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "solicitation_id", "status"),
    Index(None, "provider_id", "submitted_at"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("solicitation_id", Uuid, ForeignKey("solicitations.id"), nullable=True),
    Column("consortium_id", Uuid, ForeignKey("consortia.id"), nullable=True),
    Column("lead_district_id", Uuid, ForeignKey("districts.id"), nullable=False),
    Column("provider_id", Uuid, nullable=False),
    Column("method", String(32), nullable=False),
    Column("contract_type", String(32), nullable=False),
    Column("status", String(24), nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("list_unit_price_cents", BigInteger, nullable=False),
    Column("total_value_cents", BigInteger, nullable=False),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("awarded_at", DateTime(timezone=True), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    Index(None, "awarded_at"),
    Index(None, "solicitation_id"),
    Index(None, "consortium_id", "awarded_at"),
    Index(None, "provider_id", "awarded_at"),
)

contract_parties = Table(
    "contract_parties",
    metadata,
    Column("contract_id", Uuid, ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", Uuid, ForeignKey("districts.id"), primary_key=True),
    Column("seats", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Index(None, "district_id"),
)

# Exports: the award register, one row per award and member allocation, with every field an
# auditor asks for, denormalised so that a streamed export is one indexed scan.
award_register = Table(
    "award_register",
    metadata,
    Column("contract_id", Uuid, primary_key=True),
    Column("district_id", Uuid, primary_key=True),
    Column("solicitation_id", Uuid, nullable=True),
    Column("consortium_id", Uuid, nullable=True),
    Column("consortium_name", String(200), nullable=True),
    Column("lead_district_id", Uuid, nullable=False),
    Column("district_name", String(200), nullable=False),
    Column("district_state", String(2), nullable=False),
    Column("provider_id", Uuid, nullable=False),
    Column("provider_name", String(300), nullable=False),
    Column("method", String(32), nullable=False),
    Column("method_rationale", Text, nullable=False),
    Column("contract_type", String(32), nullable=False),
    Column("selection_reason", Text, nullable=False),
    Column("rejections", Document, nullable=False),
    Column("price_basis", Text, nullable=False),
    Column("cost_price_analysis", Text, nullable=True),
    Column("justification", Document, nullable=True),
    Column("seats", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("list_unit_price_cents", BigInteger, nullable=False),
    Column("total_value_cents", BigInteger, nullable=False),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("awarded_at", DateTime(timezone=True), nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=True),
    Column("status", String(24), nullable=False),
    Column("end_reason", Text, nullable=True),
    Index(None, "awarded_at", "contract_id", "district_id"),
    Index(None, "consortium_id", "awarded_at"),
    Index(None, "district_id", "awarded_at"),
    Index(None, "provider_id", "awarded_at"),
    Index(None, "method", "awarded_at"),
)

# Open Contracting Data Standard: one immutable release per meaningful event, keyed by a
# deterministic id; ``ocds_state`` is the projection's working memory per contracting process.
ocds_releases = Table(
    "ocds_releases",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("ocid", String(120), nullable=False),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("date", DateTime(timezone=True), nullable=False),
    Column("tags", Document, nullable=False),
    Column("release", Document, nullable=False),
    Index(None, "ocid", "position"),
    Index(None, "date", "position"),
)

ocds_state = Table(
    "ocds_state",
    metadata,
    Column("ocid", String(120), primary_key=True),
    Column("document", Document, nullable=False),
)

# Trust signals in the catalog: designations (labels, never filters or ranks by default) and
# providers' signed data privacy agreements (per state or per district).
offering_designations = Table(
    "offering_designations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("offering_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("issuer", String(200), nullable=False),
    Column("criteria_url", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revocation_reason", Text, nullable=True),
    Index(None, "offering_id"),
    Index(None, "name", "offering_id"),
)

provider_privacy_agreements = Table(
    "provider_privacy_agreements",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("provider_id", Uuid, nullable=False),
    Column("scope", String(16), nullable=False),
    Column("state", String(2), nullable=True),
    Column("district_id", Uuid, nullable=True),
    Column("kind", String(40), nullable=False),
    Column("adopted_from_district_id", Uuid, nullable=True),
    Column("signed_on", Date, nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("document_url", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # The log position of the event that recorded it (the catalog index reads what is new).
    Column("position", BigInteger, nullable=False, server_default="0"),
    Index(None, "provider_id"),
    Index(None, "state", "provider_id"),
    Index(None, "position"),
)

# Outcomes: a party district's report, per school year, on a contract's offering(s).
outcome_reports = Table(
    "outcome_reports",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("contract_id", Uuid, nullable=False),
    Column("district_id", Uuid, nullable=False),
    Column("provider_id", Uuid, nullable=False),
    Column("offering_ids", Document, nullable=False),
    Column("school_year", String(9), nullable=False),
    Column("rural", Boolean, nullable=False),
    Column("small", Boolean, nullable=False),
    Column("students_served", Integer, nullable=False),
    Column("implementation", Document, nullable=False),
    Column("results", Document, nullable=False),
    Column("satisfaction", Integer, nullable=True),
    Column("renewing", Boolean, nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "school_year", "provider_id"),
    Index(None, "contract_id", "district_id", "school_year", unique=True),
)

# Which catalog offerings each contract covers (procurement): report cards count the districts
# an offering's contracts served, reported on or not.
contract_offerings = Table(
    "contract_offerings",
    metadata,
    Column("contract_id", Uuid, ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
    Column("offering_id", Uuid, primary_key=True),
    Index(None, "offering_id", "contract_id"),
)

# Accounts' bearer credentials: who issued and who revoked each, for the account itself, admins
# and auditors. The id is the one derived from the token's hash when it was issued; neither the
# token nor its hash is here. Actors as events record them: an account id or ``operator``.
credentials = Table(
    "credentials",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(64), nullable=True),
    Column("revocation_reason", Text, nullable=True),
    Index(None, "account_id", "issued_at"),
)
