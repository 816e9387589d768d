"""Evaluation forms: shape only (types, choices, lengths). What needs the
database (assignments, conflicts, the scale's rules) is the services'."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSelect, GovTextArea
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.evaluation.models import SCALE_TOP, SCORE_REQUIRED, PanelRole
from portal.fields import normalise_text, optional_id, radios, text_field
from portal.forms import PortalForm, choices
from portal.forms import submit as button

MAX_TEXT = 10_000


def score_radios(descriptors: dict[str, str], label: str) -> RadioField:
    """The 0 to 5 score, each choice with the descriptor the tender published."""
    return RadioField(
        label,
        widget=GovRadioInput(),
        choices=choices(
            (str(score), f"{score}: {descriptors.get(str(score), '')}".rstrip(": ")) for score in range(SCALE_TOP + 1)
        ),
        validators=[InputRequired(message=SCORE_REQUIRED)],
        invalid_choice_message=SCORE_REQUIRED,
    )


def long_text(label: str, message: str | None, description: str | None = None) -> TextAreaField:
    validators = [InputRequired(message=message)] if message else [Optional()]
    validators.append(Length(max=MAX_TEXT, message=f"{label} must be {MAX_TEXT:,} characters or fewer"))
    return TextAreaField(
        label, widget=GovTextArea(), validators=validators, description=description, filters=[normalise_text]
    )


def score_form(descriptors: dict[str, str], data=None):
    """The score sheet's form, its radios labelled with this tender's descriptors."""

    class ScoreForm(PortalForm):
        score = score_radios(descriptors, "Score")
        explanation = long_text(
            "Why this score",
            "Explain the score by reference to what the bid said",
            "Refer to what the bid said. The bidder reads this in their feedback.",
        )
        improvement = long_text("What would have scored higher (optional)", None)
        submission_sha256 = HiddenField()
        submit = button("Save and continue")
        save_draft = button("Save and come back later")

    return ScoreForm(data=data)


def moderation_form(descriptors: dict[str, str], data=None):
    class ModerationForm(PortalForm):
        score = score_radios(descriptors, "Agreed score")
        reason = long_text(
            "Reason for the agreed score",
            None,
            "Required when it differs from any evaluator's score. The bidder may read it in their feedback.",
        )
        submit = button("Save and continue")

    return ModerationForm(data=data)


def declaration_form(organisations: list[tuple[int, str]], formdata=None):
    """One yes or no, with details, for each organisation that bid."""

    attributes = {"submit": button("Confirm your declaration")}
    for org_id, name in organisations:
        attributes[f"interest_{org_id}"] = radios(
            f"Do you have any interest in {name}?",
            [("yes", "Yes"), ("no", "No")],
            f"Say whether you have any interest in {name}",
            description="Personal, professional or financial, direct or indirect: for example you, a relative or a "
            "close friend works for, volunteers with, or is paid by them.",
        )
        attributes[f"details_{org_id}"] = long_text(f"Describe your interest in {name}", None)
    form_class = type("DeclarationForm", (PortalForm,), attributes)
    form = form_class(formdata=formdata) if formdata is not None else form_class()
    form.organisations = organisations
    return form


class PanelForm(PortalForm):
    user_id = SelectField(
        "Who",
        widget=GovSelect(),
        coerce=optional_id,
        validators=[InputRequired(message="Select who to appoint")],
        invalid_choice_message="Select who to appoint",
    )
    role = radios("As", [(r.name, r.value) for r in PanelRole], "Select the role on the panel")
    question_ids = SelectMultipleField(
        "Questions (quality evaluators only)",
        widget=GovCheckboxesInput(),
        coerce=int,
        description="Leave them all unticked for someone who scores every quality question of the lot.",
        invalid_value_message="Select questions from the list",
        invalid_choice_message="Select questions from the list",
    )
    submit = button("Appoint")


class HandlingForm(PortalForm):
    handling = text_field(
        "How the conflict is handled",
        "Describe how the conflict is handled",
        MAX_TEXT,
        area=True,
        description="For example: removed from scoring this bid; another evaluator scores it.",
    )
    submit = button("Save")


class SelectionDecisionForm(PortalForm):
    decision = radios(
        "Does the bid fail this question?",
        [("uphold", "Yes, the bid fails and goes no further"), ("override", "No, the answer is acceptable")],
        "Select whether the bid fails this question",
    )
    reason = text_field("Reason", "Give the reason, for the bidder's feedback", MAX_TEXT, area=True)
    submit = button("Save decision")
