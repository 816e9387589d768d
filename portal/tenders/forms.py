"""Officers' forms for building, publishing, amending and cancelling tenders
and answering clarification questions. Shape only: the rules are in
``drafting``, ``lifecycle`` and ``clarifications``; the fields they are made
of are the portal's (``portal.fields``)."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovFileInput, GovSelect
from wtforms import HiddenField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired

from portal.agreements.models import DeliveryMode
from portal.fields import (
    YES_NO,
    PoundsField,
    TimeField,
    int_or_none,
    london_moment,
    radios,
    split_moment,
    text_field,
    whole_number,
    yes_no,
)
from portal.forms import DateInputField, PortalForm, choices, submit
from portal.money import MAX_POUNDS_TEXT, MoneyError
from portal.tenders.models import SHORT_TITLE_LENGTH, DocumentKind, Procedure, QuestionKind, TieBreak

# The officers' money fields have always worded these problems so.
OFFICER_MONEY_MESSAGES = {
    MoneyError.NEGATIVE: "{label} cannot be negative",
    MoneyError.FRACTION: "{label} must be in pounds and pence, like 1500.50",
    MoneyError.TOO_LARGE: f"{{label}} must be less than or equal to {MAX_POUNDS_TEXT}",
}


# --- Details ----------------------------------------------------------------------


class TenderDetailsForm(PortalForm):
    reference = text_field(
        "Reference",
        "Enter the reference",
        40,
        description="The council's own reference, for example KCC-EIP-2012. It must be unique.",
    )
    title = text_field("Title", "Enter the title", 200)
    description = text_field(
        "Description",
        "Enter a description of what is being bought",
        20_000,
        area=True,
        description="What the services are, who they are for and why the council is buying them.",
    )
    category_id = SelectField(
        "Service category",
        widget=GovSelect(),
        coerce=int_or_none,
        validators=[InputRequired(message="Select the service category")],
        invalid_value_message="Select the service category",
        invalid_choice_message="Select the service category",
    )
    estimated_value_pence = PoundsField(
        "Estimated total value",
        required_message="Enter the estimated total value",
        description="In pounds, for the whole term, for example 250000",
        messages=OFFICER_MONEY_MESSAGES,
    )
    procedure = radios("Procedure", [(p.name, p.value) for p in Procedure], "Select the procedure")
    is_light_touch = radios(
        "Is this a light-touch contract?",
        YES_NO,
        "Select yes if this is a light-touch contract",
        description="Social, health and education services usually are.",
    )
    is_framework = radios("Is this a framework?", YES_NO, "Select yes if this is a framework")
    submit = submit()

    def details(self) -> dict:
        return {
            "reference": self.reference.data,
            "title": self.title.data,
            "description": self.description.data,
            "category_id": self.category_id.data,
            "estimated_value_pence": self.estimated_value_pence.data,
            "procedure": Procedure[self.procedure.data],
            "is_light_touch": self.is_light_touch.data == "yes",
            "is_framework": self.is_framework.data == "yes",
        }

    def fill_from(self, tender) -> None:
        for name in ("reference", "title", "description", "category_id", "estimated_value_pence"):
            getattr(self, name).data = getattr(tender, name)
        self.procedure.data = tender.procedure.name
        self.is_light_touch.data = yes_no(tender.is_light_touch)
        self.is_framework.data = yes_no(tender.is_framework)


# --- Timetable --------------------------------------------------------------------


class TimetableFieldsMixin:
    clarification_deadline = DateInputField(
        "Clarification questions close", required_message="Enter the date clarification questions close"
    )
    clarification_deadline_time = TimeField("Time clarification questions close")
    answers_by = DateInputField("Answers published by")
    answers_by_time = TimeField("Time answers are published by")
    submission_deadline = DateInputField(
        "Submission deadline", required_message="Enter the date of the submission deadline"
    )
    submission_deadline_time = TimeField("Time of the submission deadline")
    evaluation_date = DateInputField("Evaluation")
    intended_award_date = DateInputField("Intended award")
    standstill_end_date = DateInputField("Standstill ends")
    contract_start_date = DateInputField("Contract start")

    MOMENTS = (("clarification_deadline", True), ("answers_by", False), ("submission_deadline", True))
    DATES = ("evaluation_date", "intended_award_date", "standstill_end_date", "contract_start_date")

    values: dict | None = None

    def validate(self, extra_validators=None) -> bool:
        """Valid when every field is, and each date and time pair names one moment;
        ``values`` is then the timetable as the model keeps it."""
        valid = super().validate(extra_validators)
        self.values = self.timetable()  # also marks a date given without its time, or the reverse
        return valid and not any(field.errors for field in self) and not self.form_errors

    def timetable(self) -> dict:
        """The timetable as the model keeps it; fields get messages for a half-given moment."""
        values = {name: london_moment(self, name, f"{name}_time", required) for name, required in self.MOMENTS}
        values.update({name: getattr(self, name).data for name in self.DATES})
        return values

    def fill_timetable(self, tender) -> None:
        for name, _required in self.MOMENTS:
            split_moment(self, name, f"{name}_time", getattr(tender, name))
        for name in self.DATES:
            getattr(self, name).data = getattr(tender, name)


class TimetableForm(TimetableFieldsMixin, PortalForm):
    submit = submit()


# --- Evaluation method --------------------------------------------------------------


class EvaluationMethodForm(PortalForm):
    quality_weight = whole_number(
        "Quality", "Enter the percentage of marks for quality", 0, 100, description="Per cent of the total marks"
    )
    price_weight = whole_number(
        "Price", "Enter the percentage of marks for price", 0, 100, description="Per cent of the total marks"
    )
    minimum_quality_score = whole_number(
        "Minimum quality score",
        "Enter the minimum quality score",
        0,
        100,
        description="Per cent of the quality marks. Bids below it are not scored on price.",
    )
    tie_break = radios(
        "If two bids have the same total score",
        [(rule.name, rule.value) for rule in TieBreak],
        "Select how bids with equal scores are ranked",
    )
    descriptor_0 = text_field("Score 0", "Describe what a score of 0 means", 500)
    descriptor_1 = text_field("Score 1", "Describe what a score of 1 means", 500)
    descriptor_2 = text_field("Score 2", "Describe what a score of 2 means", 500)
    descriptor_3 = text_field("Score 3", "Describe what a score of 3 means", 500)
    descriptor_4 = text_field("Score 4", "Describe what a score of 4 means", 500)
    descriptor_5 = text_field("Score 5", "Describe what a score of 5 means", 500)
    submit = submit()

    def descriptors(self) -> dict[str, str]:
        return {str(score): getattr(self, f"descriptor_{score}").data for score in range(6)}

    def fill_from(self, tender) -> None:
        from portal.tenders.models import DEFAULT_DESCRIPTORS

        self.quality_weight.data = tender.quality_weight
        self.price_weight.data = tender.price_weight
        self.minimum_quality_score.data = tender.minimum_quality_score
        self.tie_break.data = tender.tie_break.name if tender.tie_break else None
        descriptors = tender.score_descriptors or DEFAULT_DESCRIPTORS
        for score in range(6):
            getattr(self, f"descriptor_{score}").data = descriptors.get(str(score), DEFAULT_DESCRIPTORS[str(score)])


# --- Lots -------------------------------------------------------------------------


class LotForm(PortalForm):
    title = text_field("Lot title", "Enter the lot's title", 200)
    description = text_field("Description (optional)", None, 10_000, area=True)
    district_ids = SelectMultipleField(
        "Districts covered",
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[InputRequired(message="Select the districts the lot covers")],
        invalid_value_message="Select the districts the lot covers",
        invalid_choice_message="Select the districts the lot covers from the list",
        description="Select all that apply.",
    )
    modes = SelectMultipleField(
        "How the services are delivered",
        widget=GovCheckboxesInput(),
        choices=choices((m.name, m.value) for m in DeliveryMode),
        validators=[InputRequired(message="Select how the services are delivered")],
        invalid_choice_message="Select how the services are delivered from the list",
        description="Select all that apply.",
    )
    estimated_annual_value_pence = PoundsField(
        "Estimated annual value",
        required_message="Enter the estimated annual value",
        description="In pounds, for example 85000",
        messages=OFFICER_MONEY_MESSAGES,
    )
    max_providers = whole_number(
        "Maximum number of providers",
        "Enter the maximum number of providers",
        1,
        1000,
        description="How many providers may be appointed to this lot",
    )
    pricing_instructions = text_field(
        "Pricing instructions",
        "Enter the pricing instructions",
        5_000,
        area=True,
        description="What bidders must price, and how",
    )
    submit = submit()

    def lot_fields(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data or "",
            "district_ids": self.district_ids.data,
            "modes": [DeliveryMode[m] for m in self.modes.data],
            "estimated_annual_value_pence": self.estimated_annual_value_pence.data,
            "max_providers": self.max_providers.data,
            "pricing_instructions": self.pricing_instructions.data,
        }

    def fill_from(self, lot) -> None:
        self.title.data, self.description.data = lot.title, lot.description
        self.district_ids.data = [d.id for d in lot.districts]
        self.modes.data = [m.name for m in lot.delivery_modes]
        self.estimated_annual_value_pence.data = lot.estimated_annual_value_pence
        self.max_providers.data = lot.max_providers
        self.pricing_instructions.data = lot.pricing_instructions


# --- Questionnaire ---------------------------------------------------------------


class SectionForm(PortalForm):
    title = text_field("Section title", "Enter the section's title", 200)
    kind = radios(
        "Kind of questions",
        [(k.name, k.value) for k in QuestionKind],
        "Select the kind of questions",
        description="Pass or fail questions select bidders; scored quality questions are weighted.",
    )
    submit = submit()


def short_title_field():
    """The question's short title: bidders' task list and the question page's heading."""
    return text_field(
        "Short title (optional)",
        None,
        SHORT_TITLE_LENGTH,
        description="A few words that name the question, for example \u201cSafeguarding\u201d. Bidders see it "
        "in their list of tasks and as the heading of the question's page, with the whole question below it. "
        "Without one, they see the question's first words.",
    )


class PassFailQuestionForm(PortalForm):
    short_title = short_title_field()
    text = text_field("Question", "Enter the question", 5_000, area=True)
    guidance = text_field("Guidance for bidders (optional)", None, 5_000, area=True)
    passing_answer = radios("Which answer passes?", YES_NO, "Select the answer that passes")
    submit = submit()

    def question_fields(self) -> dict:
        return {
            "text": self.text.data,
            "guidance": self.guidance.data or "",
            "passing_answer": None if self.passing_answer.data is None else self.passing_answer.data == "yes",
        }

    def fill_from(self, question) -> None:
        self.text.data, self.guidance.data = question.text, question.guidance
        self.short_title.data = question.short_title
        self.passing_answer.data = yes_no(question.passing_answer)


class QualityQuestionForm(PortalForm):
    short_title = short_title_field()
    text = text_field("Question", "Enter the question", 5_000, area=True)
    guidance = text_field("Guidance for bidders (optional)", None, 5_000, area=True)
    word_limit = whole_number("Word limit (optional)", "", 1, 100_000, required=False, name="The word limit")
    weight = whole_number(
        "Weight", "Enter the weight", 0, 100, description="Per cent of the quality marks for each lot it applies to"
    )
    minimum_score = whole_number(
        "Minimum score (optional)",
        "",
        0,
        5,
        required=False,
        name="The minimum score",
        description="A bid scoring less than this on this question is not considered further, whatever its total.",
    )
    lot_ids = SelectMultipleField(
        "Lots it applies to",
        widget=GovCheckboxesInput(),
        coerce=int,
        invalid_value_message="Select lots from the list",
        invalid_choice_message="Select lots from the list",
        description="Leave them all unticked for a question that applies to every lot.",
    )
    submit = submit()

    def question_fields(self) -> dict:
        return {
            "text": self.text.data,
            "guidance": self.guidance.data or "",
            "word_limit": self.word_limit.data,
            "weight": self.weight.data,
            "minimum_score": self.minimum_score.data,
            "lot_ids": self.lot_ids.data or [],
        }

    def fill_from(self, question) -> None:
        self.text.data, self.guidance.data = question.text, question.guidance
        self.short_title.data = question.short_title
        self.word_limit.data, self.weight.data = question.word_limit, question.weight
        self.minimum_score.data = question.minimum_score
        self.lot_ids.data = [lot.id for lot in question.lots]


# --- Documents, conflicts, decision, agreements ------------------------------------


class DocumentForm(PortalForm):
    kind = radios("Kind of document", [(k.name, k.value) for k in DocumentKind], "Select the kind of document")
    title = text_field(
        "Document title",
        "Enter the document's title",
        200,
        description="As bidders will see it, for example Service specification",
    )
    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        validators=[FileRequired(message="Select a file")],
        description="A PDF, Word, Excel, OpenDocument, PNG or JPEG file, up to 10MB",
    )
    submit = submit("Upload document")


class ConflictsForm(PortalForm):
    conflicts_assessment = text_field(
        "Conflicts of interest assessment",
        "Enter the conflicts of interest assessment",
        20_000,
        area=True,
        description="Who was considered, what interests were declared and how any conflict is managed.",
    )
    submit = submit()


class DecisionLinkForm(PortalForm):
    decision_id = SelectField(
        "Decision",
        widget=GovSelect(),
        coerce=int_or_none,
        validators=[InputRequired(message="Select the decision that authorised this tender")],
        invalid_value_message="Select the decision that authorised this tender",
        invalid_choice_message="Select the decision that authorised this tender",
    )
    submit = submit()


class AgreementsLinkForm(PortalForm):
    agreement_ids = SelectMultipleField(
        "Agreements this tender replaces",
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[InputRequired(message="Select the agreements this tender replaces")],
        invalid_value_message="Select agreements from the list",
        invalid_choice_message="Select agreements from the list",
        description="Their providers are told when the tender is published.",
    )
    submit = submit("Link agreements")


# --- Publishing, amending, cancelling, answering --------------------------------------


class PublishForm(PortalForm):
    submit = submit("Publish tender")


class AmendmentForm(TimetableFieldsMixin, PortalForm):
    reason = text_field(
        "Reason for the amendment",
        "Enter the reason for the amendment",
        5_000,
        area=True,
        description="Every provider who registered interest is sent it, with what changed.",
    )
    description = text_field("Description", "Enter a description of what is being bought", 20_000, area=True)
    submit = submit("Publish amendment")

    def changes(self) -> dict:
        """What the amendment would make the tender say (once the form is valid)."""
        return {"description": self.description.data, **self.values}


class CancelForm(PortalForm):
    reason = text_field(
        "Reason for cancelling",
        "Enter the reason for cancelling",
        5_000,
        area=True,
        description="Every provider who registered interest is sent it.",
    )
    submit = submit("Cancel tender")


class AnswerForm(PortalForm):
    """The answer as a draft: what it says, who it is for, and the question's wording
    for everyone (checked by ``clarifications.draft_answer``)."""

    answer = text_field("Answer", "Enter the answer", 10_000, area=True)
    audience = radios(
        "Who should see the answer?",
        [("everyone", "Publish to everyone (the asker is not named)"), ("asker", "Reply to the asker only")],
        "Select who should see the answer",
    )
    published_question = text_field(
        "The question as it will be published",
        None,
        5_000,
        area=True,
        description=(
            "Only if you publish to everyone. Remove anything that could identify who asked, such as a place, "
            "a service or a name. The asker keeps their own wording."
        ),
    )
    submit = submit("Save and preview")


class SendAnswerForm(PortalForm):
    """Sending the previewed answer: ``previewed`` is the draft's fingerprint as shown."""

    previewed = HiddenField()
    submit = submit("Send the answer")


class RemoveForm(PortalForm):
    """A confirmation with only a button: its CSRF token is the point."""

    submit = submit("Yes, remove it")
