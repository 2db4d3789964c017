"""An offering goes draft -> published -> withdrawn; publishing needs a complete listing."""

from __future__ import annotations

import pytest

from events.offerings import OfferingDrafted, OfferingPublished, OfferingRevised, OfferingWithdrawn
from events.types import Subject
from marketplace.domain.accounts import Account
from marketplace.domain.errors import InvalidValue, WrongState
from marketplace.domain.offerings import REQUIRED_TO_PUBLISH, Offering, OfferingStatus
from marketplace.domain.validation import CONTROL_CHARACTERS_MESSAGE, SURROGATES_MESSAGE
from tests.unit.conftest import FIXED_NOW
from tests.unit.factories import complete_details

OPTIONAL_TO_DRAFT = [name for name in REQUIRED_TO_PUBLISH if name != "title"]


# Drafting ----------------------------------------------------------------------------------------


def test_a_draft_needs_only_a_title(owner: Account) -> None:
    offering = Offering.draft(owner, {"title": "Prairie Math"})

    assert offering.status is OfferingStatus.DRAFT
    assert offering.title == "Prairie Math"
    assert offering.provider_id == owner.organization_id
    assert [type(e) for e in offering.collect_events()] == [OfferingDrafted]


def test_a_draft_without_a_title_is_refused_naming_the_title(owner: Account) -> None:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, {"summary": "No title here"})

    assert set(refused.value.fields) == {"title"}


def test_a_blank_title_is_refused(owner: Account) -> None:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, {"title": "   "})

    assert set(refused.value.fields) == {"title"}


def test_a_title_longer_than_200_characters_is_refused(owner: Account) -> None:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, {"title": "x" * 201})

    assert set(refused.value.fields) == {"title"}


@pytest.mark.parametrize(
    ("character", "message"),
    [(c, CONTROL_CHARACTERS_MESSAGE) for c in ("\x00", "\x01", "\x1b", "\x7f")]
    + [(c, SURROGATES_MESSAGE) for c in ("\ud800", "\udfff")],
)
def test_text_holding_a_control_character_or_a_lone_surrogate_is_refused_naming_the_field(
    owner: Account, character: str, message: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, {"title": "Prairie Math", "summary": f"Short{character}summary."})

    assert refused.value.fields == {"summary": [message]}


def test_tabs_and_line_breaks_inside_text_are_kept(owner: Account) -> None:
    description = "One.\n\tTwo.\r\nThree."
    offering = Offering.draft(owner, {"title": "Prairie Math", "description": description})

    assert offering.description == description


def test_drafting_with_an_unknown_field_is_refused_naming_it(owner: Account) -> None:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, {"title": "Prairie Math", "price": "42", "colour": "blue"})

    assert set(refused.value.fields) == {"price", "colour"}


def test_every_invalid_field_of_a_draft_is_named_at_once(owner: Account) -> None:
    with pytest.raises(InvalidValue) as refused:
        Offering.draft(owner, complete_details(title="", summary="s" * 501))

    assert set(refused.value.fields) == {"title", "summary"}


def test_text_fields_are_recorded_without_surrounding_whitespace(owner: Account) -> None:
    offering = Offering.draft(owner, {"title": "  Prairie Math  ", "summary": "\tShort.\n"})

    assert (offering.title, offering.summary) == ("Prairie Math", "Short.")


def test_a_blank_optional_text_field_is_recorded_as_absent(owner: Account) -> None:
    offering = Offering.draft(owner, {"title": "Prairie Math", "description": "   "})

    assert offering.description is None


def test_repeated_subjects_are_recorded_once_in_their_first_order(owner: Account) -> None:
    offering = Offering.draft(
        owner, {"title": "Prairie Math", "subjects": [Subject.ELA, Subject.MATH, Subject.ELA]}
    )

    assert offering.subjects == (Subject.ELA, Subject.MATH)


# Publishing --------------------------------------------------------------------------------------


def test_publishing_an_incomplete_draft_names_each_missing_field(owner: Account) -> None:
    offering = Offering.draft(owner, {"title": "Prairie Math"})

    with pytest.raises(InvalidValue) as refused:
        offering.publish(owner)

    assert set(refused.value.fields) == set(OPTIONAL_TO_DRAFT)


@pytest.mark.parametrize("missing", OPTIONAL_TO_DRAFT)
def test_publishing_a_draft_missing_one_required_field_names_only_that_field(
    owner: Account, missing: str
) -> None:
    details = complete_details()
    del details[missing]
    offering = Offering.draft(owner, details)

    with pytest.raises(InvalidValue) as refused:
        offering.publish(owner)

    assert set(refused.value.fields) == {missing}


def test_a_refused_publication_leaves_the_draft_unchanged_and_records_nothing(
    owner: Account
) -> None:
    offering = Offering.draft(owner, {"title": "Prairie Math"})
    offering.collect_events()

    with pytest.raises(InvalidValue):
        offering.publish(owner)

    assert offering.status is OfferingStatus.DRAFT
    assert offering.collect_events() == []


def test_publishing_a_complete_draft_records_the_publication_time(
    draft: Offering, owner: Account
) -> None:
    draft.publish(owner)

    assert draft.status is OfferingStatus.PUBLISHED
    assert draft.published_at == FIXED_NOW
    assert [type(e) for e in draft.collect_events()] == [OfferingPublished]


def test_interoperability_and_evidence_are_not_needed_to_publish(owner: Account) -> None:
    offering = Offering.draft(owner, complete_details(interoperability=(), evidence=None))

    offering.publish(owner)

    assert offering.status is OfferingStatus.PUBLISHED


def test_a_published_offering_cannot_be_published_again(
    published: Offering, owner: Account
) -> None:
    with pytest.raises(WrongState):
        published.publish(owner)

    assert published.collect_events() == []


def test_a_withdrawn_offering_cannot_be_republished(withdrawn: Offering, owner: Account) -> None:
    with pytest.raises(WrongState):
        withdrawn.publish(owner)

    assert withdrawn.status is OfferingStatus.WITHDRAWN


# Withdrawing -------------------------------------------------------------------------------------


def test_withdrawing_a_published_offering_records_the_trimmed_reason(
    published: Offering, owner: Account
) -> None:
    published.withdraw(owner, "  replaced by a new edition ")

    assert published.status is OfferingStatus.WITHDRAWN
    assert published.withdrawal_reason == "replaced by a new edition"
    assert published.withdrawn_at == FIXED_NOW
    assert [type(e) for e in published.collect_events()] == [OfferingWithdrawn]


def test_a_draft_cannot_be_withdrawn(draft: Offering, owner: Account) -> None:
    with pytest.raises(WrongState):
        draft.withdraw(owner)

    assert draft.status is OfferingStatus.DRAFT
    assert draft.collect_events() == []


def test_a_withdrawn_offering_cannot_be_withdrawn_again(
    withdrawn: Offering, owner: Account
) -> None:
    with pytest.raises(WrongState):
        withdrawn.withdraw(owner)

    assert withdrawn.collect_events() == []


def test_a_withdrawal_reason_longer_than_2000_characters_is_refused(
    published: Offering, owner: Account
) -> None:
    with pytest.raises(InvalidValue) as refused:
        published.withdraw(owner, "r" * 2001)

    assert set(refused.value.fields) == {"reason"}
    assert published.status is OfferingStatus.PUBLISHED


# Revising ----------------------------------------------------------------------------------------


def test_a_withdrawn_offering_cannot_be_revised(withdrawn: Offering, owner: Account) -> None:
    with pytest.raises(WrongState):
        withdrawn.revise(owner, {"title": "A new title"})

    assert withdrawn.title == "Prairie Math Mastery"
    assert withdrawn.collect_events() == []


def test_revising_with_identical_values_records_nothing(draft: Offering, owner: Account) -> None:
    changed = draft.revise(owner, complete_details())

    assert changed is False
    assert draft.collect_events() == []


def test_revising_subjects_with_the_same_values_in_a_list_records_nothing(
    draft: Offering, owner: Account
) -> None:
    changed = draft.revise(owner, {"subjects": [Subject.MATH]})

    assert changed is False
    assert draft.collect_events() == []


def test_a_revision_records_only_the_fields_that_change(draft: Offering, owner: Account) -> None:
    changed = draft.revise(owner, {"title": "Prairie Math Mastery", "summary": "A new summary."})

    assert changed is True
    (event,) = draft.collect_events()
    assert isinstance(event, OfferingRevised)
    assert event.changes == {"summary": "A new summary."}
    assert draft.summary == "A new summary."


def test_a_published_offering_can_be_revised_while_it_stays_complete(
    published: Offering, owner: Account
) -> None:
    assert published.revise(owner, {"subjects": [Subject.MATH, Subject.SCIENCE]}) is True

    assert published.subjects == (Subject.MATH, Subject.SCIENCE)
    assert published.status is OfferingStatus.PUBLISHED


@pytest.mark.parametrize(
    ("field", "blank"),
    [
        ("summary", "  "),
        ("description", None),
        ("model_type", None),
        ("subjects", []),
        ("grade_bands", ()),
        ("delivery", None),
        ("pricing", None),
    ],
)
def test_a_published_offering_cannot_be_revised_to_blank_a_required_field(
    published: Offering, owner: Account, field: str, blank: object
) -> None:
    before = published.details()

    with pytest.raises(InvalidValue) as refused:
        published.revise(owner, {field: blank})

    assert set(refused.value.fields) == {field}
    assert published.details() == before
    assert published.collect_events() == []


def test_a_draft_can_be_revised_to_blank_a_field_needed_only_to_publish(
    draft: Offering, owner: Account
) -> None:
    assert draft.revise(owner, {"summary": "", "pricing": None}) is True

    assert (draft.summary, draft.pricing) == (None, None)


def test_a_revision_cannot_blank_the_title_even_of_a_draft(draft: Offering, owner: Account) -> None:
    with pytest.raises(InvalidValue) as refused:
        draft.revise(owner, {"title": ""})

    assert set(refused.value.fields) == {"title"}
    assert draft.title == "Prairie Math Mastery"


def test_revising_with_an_unknown_field_is_refused_naming_it(
    draft: Offering, owner: Account
) -> None:
    with pytest.raises(InvalidValue) as refused:
        draft.revise(owner, {"title": "New", "status": "published"})

    assert set(refused.value.fields) == {"status"}
    assert draft.title == "Prairie Math Mastery"
    assert draft.collect_events() == []
