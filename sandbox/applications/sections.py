"""The application form as data: its sections (each a task in the task list) and their fields.

Everything else is derived from this: the marshmallow schemas that validate a section, the pages that
ask for it, the "check your answers" page, submission's completeness check and the field-by-field
difference between revisions. Drafts may leave fields empty; `required` is enforced at submission.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class FieldKind(enum.StrEnum):
    TEXT = "text"            # one line
    TEXTAREA = "textarea"    # free text, several paragraphs
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    INTEGER = "integer"      # a whole number, within min_value..max_value
    DATE = "date"            # ISO date (day, month, year inputs on the page)
    CHOICE = "choice"        # exactly one of `choices` (radios)
    MULTI = "multi"          # any of `choices` (checkboxes)
    YES_NO = "yes_no"        # "yes" or "no"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class FieldSpec:
    name: str                 # snake_case, unique within its section
    label: str                # the question, as the page asks it
    kind: FieldKind
    required: bool = True     # must be answered before submission
    hint: str | None = None
    max_length: int | None = None   # characters, for text kinds (defaults by kind apply when None)
    choices: tuple[Choice, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    # Asked (and required) only when another field of the same section has one of these values.
    only_if: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class SectionSpec:
    key: str                  # URL slug, e.g. "ai-system"
    title: str                # task list entry and page heading
    summary: str              # one sentence under the heading: why the regulator asks
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    @property
    def fields_by_name(self) -> dict[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}


DEFAULT_MAX_LENGTH = {
    FieldKind.TEXT: 300,
    FieldKind.TEXTAREA: 10_000,
    FieldKind.EMAIL: 254,
    FieldKind.PHONE: 40,
    FieldKind.URL: 500,
}


NAME_LENGTH = 200       # a person's or an organisation's name, a job title
SHORT_TEXT = 2_000      # a paragraph or a short list
LONG_TEXT = 5_000       # a few paragraphs

YES = ("yes",)
NO = ("no",)


SECTIONS: tuple[SectionSpec, ...] = (
    # 1. Organisation ------------------------------------------------------------------------------------------------
    SectionSpec(
        key="organisation",
        title="Organisation",
        summary="We need to know who is applying, how your organisation is regulated and whether it has a history "
                "we should take into account.",
        fields=(
            FieldSpec("legal_name", "Legal name of your organisation", FieldKind.TEXT, max_length=NAME_LENGTH,
                      hint="As it appears on your certificate of incorporation or registration."),
            FieldSpec("trading_name", "Trading name, if different", FieldKind.TEXT, required=False,
                      max_length=NAME_LENGTH),
            FieldSpec("registration_number", "Company registration number", FieldKind.TEXT, max_length=50,
                      hint="The number given to your organisation by the companies registry where it is incorporated."),
            FieldSpec("jurisdiction", "Country or territory where your organisation is incorporated", FieldKind.TEXT,
                      max_length=100, hint="For example, England and Wales, Hong Kong or Singapore."),
            FieldSpec("registered_address", "Registered office address", FieldKind.TEXTAREA, max_length=500,
                      hint="Include the postcode, if there is one."),
            FieldSpec("business_address", "Main business address, if different from the registered office",
                      FieldKind.TEXTAREA, required=False, max_length=500),
            FieldSpec("website", "Website", FieldKind.URL, required=False,
                      hint="For example, https://www.example.com"),
            FieldSpec("is_sme", "Is your organisation a small or medium-sized enterprise (SME)?", FieldKind.YES_NO,
                      hint="Answer yes if your organisation, counted together with any group it belongs to, has fewer "
                           "than 250 staff and an annual turnover of no more than 50 million euros or the equivalent. "
                           "Some sandboxes give SMEs and start-ups priority or lower fees."),
            FieldSpec("staff_count", "How many people does your organisation employ?", FieldKind.INTEGER,
                      required=False, min_value=1, max_value=1_000_000,
                      hint="Count full-time equivalent staff, including those of any group your organisation is "
                           "part of."),
            FieldSpec("sector", "Which sector does your organisation mainly work in?", FieldKind.CHOICE, choices=(
                Choice("banking", "Banking"),
                Choice("insurance", "Insurance"),
                Choice("securities_and_asset_management", "Securities and asset management"),
                Choice("payments", "Payments and e-money"),
                Choice("lending_and_credit", "Lending and credit"),
                Choice("healthcare", "Healthcare"),
                Choice("public_sector", "Public sector"),
                Choice("technology_supplier", "Technology supplier to regulated organisations",
                       hint="For example, you build AI systems that banks or insurers use."),
                Choice("other", "Another sector"),
            )),
            FieldSpec("sector_other", "Which sector?", FieldKind.TEXT, max_length=NAME_LENGTH,
                      only_if=("sector", ("other",))),
            FieldSpec("licences_held", "Licences, authorisations and registrations your organisation holds",
                      FieldKind.TEXTAREA, max_length=SHORT_TEXT,
                      hint="List one per line: the regulator, the type of licence or permission, and its reference "
                           "number. Write 'None' if your organisation does not hold any."),
            FieldSpec("directors", "Directors", FieldKind.TEXTAREA, max_length=SHORT_TEXT,
                      hint="List one per line: the director's full name and role, for example chief executive or "
                           "non-executive director."),
            FieldSpec("dpo_name", "Name of your data protection officer", FieldKind.TEXT, max_length=NAME_LENGTH,
                      hint="If the law does not require you to appoint a data protection officer, give the name of "
                           "the person responsible for data protection."),
            FieldSpec("dpo_email", "Data protection officer's email address", FieldKind.EMAIL),
            FieldSpec("prior_enforcement", "In the last 5 years, has any regulator or court taken action against your "
                      "organisation or any of its directors?", FieldKind.YES_NO,
                      hint="Include fines, public censures, restrictions, sanctions and court orders, in any country. "
                           "Answering yes does not by itself make you ineligible."),
            FieldSpec("prior_enforcement_details", "Details of the action taken", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT, only_if=("prior_enforcement", YES),
                      hint="For each action, say who took it, when, against whom, why, and what has changed since."),
            FieldSpec("prior_incidents", "In the last 5 years, has your organisation had a serious incident that it "
                      "reported to a regulator?", FieldKind.YES_NO,
                      hint="For example, a personal data breach, a major IT outage or a cyber attack."),
            FieldSpec("prior_incidents_details", "Details of the incidents", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT, only_if=("prior_incidents", YES),
                      hint="For each incident, say what happened, when, who you reported it to, and what you did "
                           "to stop it happening again."),
        ),
    ),

    # 2. Contacts ----------------------------------------------------------------------------------------------------
    SectionSpec(
        key="contacts",
        title="Contacts",
        summary="We need to know who to talk to about your application, who can commit your organisation, and which "
                "other organisations take part in the test.",
        fields=(
            FieldSpec("lead_contact_name", "Lead contact's full name", FieldKind.TEXT, max_length=NAME_LENGTH,
                      hint="The person we will contact about this application. They should know it well enough to "
                           "answer our questions."),
            FieldSpec("lead_contact_role", "Lead contact's job title", FieldKind.TEXT, max_length=NAME_LENGTH),
            FieldSpec("lead_contact_email", "Lead contact's email address", FieldKind.EMAIL),
            FieldSpec("lead_contact_phone", "Lead contact's telephone number", FieldKind.PHONE,
                      hint="Include the country code, for example +44 or +852."),
            FieldSpec("alternative_contact_name", "Alternative contact's full name", FieldKind.TEXT, required=False,
                      max_length=NAME_LENGTH, hint="Someone we can contact if the lead contact is not available."),
            FieldSpec("alternative_contact_email", "Alternative contact's email address", FieldKind.EMAIL,
                      required=False),
            FieldSpec("alternative_contact_phone", "Alternative contact's telephone number", FieldKind.PHONE,
                      required=False),
            FieldSpec("signatory_name", "Authorised signatory's full name", FieldKind.TEXT, max_length=NAME_LENGTH,
                      hint="A director or senior manager who can commit your organisation to the conditions of the "
                           "sandbox. They will sign the declaration before you submit."),
            FieldSpec("signatory_role", "Authorised signatory's job title", FieldKind.TEXT, max_length=NAME_LENGTH),
            FieldSpec("signatory_email", "Authorised signatory's email address", FieldKind.EMAIL),
            FieldSpec("has_partners", "Will any other organisation take part in the test?", FieldKind.YES_NO,
                      hint="For example, a bank that offers your system to its customers, the provider of a model "
                           "you use, a cloud service that handles participants' data, or an outsourced call centre."),
            FieldSpec("partners", "Organisations taking part and their roles", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT, only_if=("has_partners", YES),
                      hint="List one per line: the organisation's legal name, its role in the test (for example "
                           "deployer, model provider or data processor), and its licence number if it is regulated."),
        ),
    ),

    # 3. AI system ---------------------------------------------------------------------------------------------------
    SectionSpec(
        key="ai-system",
        title="AI system",
        summary="We need to understand what your AI system does and how much risk it carries, to decide how closely "
                "to supervise the test.",
        fields=(
            FieldSpec("system_name", "Name of the AI system or product", FieldKind.TEXT, max_length=NAME_LENGTH),
            FieldSpec("system_version", "Version you will test", FieldKind.TEXT, max_length=50,
                      hint="For example, 2.1 or a release date. You must tell us before you change the version "
                           "during the test."),
            FieldSpec("intended_purpose", "What is the system for?", FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Describe in plain language what it does, who uses it, what decisions or outputs it "
                           "produces and who they affect. For example: 'It scores loan applications from small "
                           "businesses and recommends approve, refer or decline to a human underwriter.'"),
            FieldSpec("model_type", "What kind of model is at the heart of the system?", FieldKind.CHOICE,
                      hint="If more than one applies, choose the one that best describes it.", choices=(
                Choice("classical_ml", "Classical machine learning",
                       hint="A model trained for one task, for example a decision tree, regression or neural network "
                            "that scores or classifies."),
                Choice("generative", "Generative AI",
                       hint="A model that produces text, images, audio or code."),
                Choice("rag", "Retrieval-augmented generation (RAG)",
                       hint="A generative model that answers using documents or data that you give it."),
                Choice("fine_tuned", "Fine-tuned model",
                       hint="A general-purpose model that you have trained further on your own data."),
                Choice("third_party_foundation", "Third-party foundation model",
                       hint="A general-purpose model from another provider, used as supplied."),
            )),
            FieldSpec("foundation_model_provider", "Which foundation model do you use, and who provides it?",
                      FieldKind.TEXT, max_length=300,
                      only_if=("model_type", ("third_party_foundation", "fine_tuned")),
                      hint="Give the provider, the model's name and its version."),
            FieldSpec("model_description", "How does the system work?", FieldKind.TEXTAREA,
                      hint="Summarise its inputs and outputs, its main parts, how the model was trained or set up, "
                           "and where it runs, for example on your own servers or a cloud service. You can attach "
                           "full technical documentation later."),
            FieldSpec("deployment_context", "Where and how will the system be used?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Say where people will meet it (for example a mobile app, website, call centre or branch), "
                           "whether it acts on its own or supports a member of staff, and which product or process "
                           "it is part of."),
            FieldSpec("ai_act_risk_class", "Which risk class would the system fall into under the EU AI Act?",
                      FieldKind.CHOICE,
                      hint="Use the EU AI Act's classes even if you do not operate in the EU: they help us judge how "
                           "much oversight the test needs.", choices=(
                Choice("prohibited", "Prohibited practice",
                       hint="For example, social scoring, or exploiting people's age, disability or financial "
                            "situation to distort their behaviour. We cannot admit prohibited practices."),
                Choice("high_risk", "High risk (an Annex III area)",
                       hint="For example, assessing creditworthiness, or pricing life or health insurance."),
                Choice("limited_risk", "Limited risk (transparency obligations)",
                       hint="For example, a chatbot that must tell people they are talking to AI, or a system that "
                            "generates images or text."),
                Choice("minimal_risk", "Minimal risk",
                       hint="Anything else, for example a spam filter or an internal search tool."),
                Choice("not_sure", "I'm not sure", hint="We will work it out with you."),
            )),
            FieldSpec("annex_iii_area", "Which high-risk area does it fall into?", FieldKind.CHOICE,
                      only_if=("ai_act_risk_class", ("high_risk",)),
                      hint="These are the areas listed in Annex III of the EU AI Act.", choices=(
                Choice("biometrics", "Biometrics",
                       hint="For example, remote identification or emotion recognition."),
                Choice("critical_infrastructure", "Critical infrastructure",
                       hint="For example, safety components of energy, water or digital infrastructure."),
                Choice("education", "Education and vocational training"),
                Choice("employment", "Employment and management of workers"),
                Choice("essential_services", "Access to essential private and public services",
                       hint="Including creditworthiness and credit scoring, life and health insurance pricing, and "
                            "public benefits."),
                Choice("law_enforcement", "Law enforcement"),
                Choice("migration_and_border", "Migration, asylum and border control"),
                Choice("justice_and_democracy", "Administration of justice and democratic processes"),
            )),
            FieldSpec("market_status", "Is the system already in use?", FieldKind.CHOICE, choices=(
                Choice("not_on_market", "No, it is not yet on the market",
                       hint="It is in development, or has been used only internally."),
                Choice("limited_pilot", "Yes, in a limited pilot with real customers"),
                Choice("on_market_elsewhere", "Yes, on the market in another country or territory"),
                Choice("on_market_here", "Yes, on the market here",
                       hint="For example, for a different use or group of customers from the one you want to test."),
            )),
            FieldSpec("market_status_details", "Where and since when has the system been in use?", FieldKind.TEXTAREA,
                      max_length=SHORT_TEXT,
                      only_if=("market_status", ("limited_pilot", "on_market_elsewhere", "on_market_here")),
                      hint="Include how many customers use it and any regulator that supervises that use."),
        ),
    ),

    # 4. Eligibility -------------------------------------------------------------------------------------------------
    SectionSpec(
        key="eligibility",
        title="Eligibility",
        summary="We use your answers to decide whether your test meets the sandbox's eligibility criteria.",
        fields=(
            FieldSpec("scope_statement", "Why does your test fall within the sandbox's scope?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Explain which regulated activity or service the test involves, or how it affects the "
                           "people we protect, such as consumers, investors or patients."),
            FieldSpec("genuine_innovation", "What is new about your AI system?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Explain how it differs from products already available here and what it makes possible. "
                           "Mention any similar products you know of."),
            FieldSpec("consumer_benefit", "How will consumers or the public benefit?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Say who benefits, how, and how you will measure it: for example lower prices, faster "
                           "decisions or better access for people who are poorly served today."),
            FieldSpec("sandbox_need", "Why do you need the sandbox to run this test?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Explain why you cannot test in the usual way, for example because it is unclear how a "
                           "rule applies to AI, or because you cannot meet a requirement until you have tested with "
                           "real customers."),
            FieldSpec("rules_concerned", "Which rules does your test raise questions about?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="List one per line: the rule's reference (for example the rulebook and paragraph) and, in a "
                           "sentence, the difficulty it causes. Write 'None' if you only need supervised testing."),
            FieldSpec("relief_sought", "What are you asking us for?", FieldKind.MULTI,
                      hint="Select all that apply.", choices=(
                Choice("waiver", "A waiver or modification of a rule",
                       hint="A rule is relaxed or changed for your organisation for the test."),
                Choice("individual_guidance", "Individual guidance",
                       hint="We explain how a rule applies to your test."),
                Choice("no_action_letter", "A no-action letter",
                       hint="We confirm we will not take enforcement action for activity we agree, during the test."),
                Choice("supervised_testing_only", "Supervised testing only",
                       hint="No change to the rules: our oversight and feedback while you test."),
                Choice("other", "Something else"),
            )),
            FieldSpec("relief_other", "What else are you asking for?", FieldKind.TEXTAREA, max_length=SHORT_TEXT,
                      only_if=("relief_sought", ("other",))),
            FieldSpec("readiness_stage", "How far has development got?", FieldKind.CHOICE, choices=(
                Choice("prototype", "Prototype or proof of concept"),
                Choice("tested_offline", "Tested on historical or synthetic data"),
                Choice("tested_with_users", "Tried with a small group of users, such as staff"),
                Choice("ready_to_launch", "Ready to use with customers once admitted"),
            )),
            FieldSpec("pre_deployment_results", "What testing have you done so far, and what did it show?",
                      FieldKind.TEXTAREA,
                      hint="Summarise each test (for example accuracy, robustness, bias and fairness, security or "
                           "red-teaming, where people try deliberately to make the system fail), the data used and "
                           "the main results, including weaknesses you found. You can attach full reports later."),
            FieldSpec("readiness_resources", "Do you have the people, money and systems to run the test?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Say who will run the test, how it is funded for its whole length, and whether the "
                           "controls, systems and staff training it needs are in place."),
        ),
    ),

    # 5. Test plan ---------------------------------------------------------------------------------------------------
    SectionSpec(
        key="test-plan",
        title="Test plan",
        summary="We need to see that your test is well designed, limited in size and time, and will produce evidence "
                "we can learn from.",
        fields=(
            FieldSpec("test_objectives", "What do you want the test to find out?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="List the questions the test should answer, or what it should prove, one per line."),
            FieldSpec("success_metrics", "How will you know whether the test has succeeded?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="For each objective, give the measure and the result that counts as success, for example "
                           "'fewer than 2 in 100 decisions overturned on review'."),
            FieldSpec("test_method", "How will the test work?", FieldKind.TEXTAREA,
                      hint="Describe what will happen step by step, for participants and inside your organisation. "
                           "Say whether you will compare results with a control group or your current process."),
            FieldSpec("test_start_date", "When do you want the test to start?", FieldKind.DATE,
                      hint="We will confirm the start date if we admit you. For example, 1 9 2027."),
            FieldSpec("test_duration_months", "How many months will the test last?", FieldKind.INTEGER,
                      min_value=1, max_value=24, hint="The longest test you can ask for is 24 months."),
            FieldSpec("test_phases", "Phases of the test", FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="If the test will grow in stages, list each phase on a new line with its length, the "
                           "number of participants and what must be true before the next phase starts. If there is "
                           "only one phase, say so."),
            FieldSpec("test_geography", "Where will the test take place?", FieldKind.TEXTAREA, max_length=SHORT_TEXT,
                      hint="Name the countries, regions or cities, and say how you will stop people elsewhere from "
                           "taking part, for example online."),
            FieldSpec("participant_count", "What is the largest number of people who will take part?",
                      FieldKind.INTEGER, min_value=1, max_value=1_000_000,
                      hint="Count every customer or member of the public who will use the system or be affected by "
                           "its decisions."),
            FieldSpec("participant_types", "Who will take part?", FieldKind.MULTI,
                      hint="Select all that apply.", choices=(
                Choice("consumers", "Individual consumers"),
                Choice("small_businesses", "Small businesses"),
                Choice("professional_clients", "Professional or institutional clients"),
                Choice("public_service_users", "People using a public service"),
                Choice("staff", "Your own staff or those of a partner"),
            )),
            FieldSpec("participant_selection", "How will you choose participants?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Explain who can take part, how you will invite them, and how they can say no or leave "
                           "the test at any time."),
            FieldSpec("vulnerable_participants", "Could any participants be in vulnerable circumstances?",
                      FieldKind.YES_NO,
                      hint="For example, people in financial difficulty, with a health condition or disability, with "
                           "low confidence in using money or technology, or going through a bereavement. If you "
                           "cannot rule it out, answer yes."),
            FieldSpec("vulnerable_safeguards", "How will you protect participants in vulnerable circumstances?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT, only_if=("vulnerable_participants", YES),
                      hint="Explain how you will identify them, what you will do differently (for example extra human "
                           "review, or an easier way to leave the test) and how you will train staff."),
            FieldSpec("exposure_limits", "What limits will you put on the test?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="For example, a maximum amount per transaction, per participant or in total, a largest "
                           "loan or policy, or a cap on decisions each day. Give figures and currencies."),
            FieldSpec("test_kpis", "Which key performance indicators (KPIs) will you report to us?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="List one per line, with how you will calculate it, for example approval rates by age "
                           "group, error rate, or complaints for every 1,000 participants."),
            FieldSpec("reporting_cadence", "How often will you send us progress reports?", FieldKind.CHOICE,
                      hint="We may ask for reports more often if the test is higher risk. You must tell us about "
                           "serious incidents straight away, whatever you choose.", choices=(
                Choice("weekly", "Every week"),
                Choice("fortnightly", "Every 2 weeks"),
                Choice("monthly", "Every month"),
                Choice("quarterly", "Every 3 months"),
            )),
        ),
    ),

    # 6. Safeguards --------------------------------------------------------------------------------------------------
    SectionSpec(
        key="safeguards",
        title="Safeguards",
        summary="We need to be sure that participants know what is happening, can complain, are put right if they "
                "lose out, and that people stay in control of the system.",
        fields=(
            FieldSpec("user_disclosure", "What will you tell participants about the test and the AI system?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Explain when and how you will tell them they are in a test, that AI is used and what it "
                           "does, and how to reach a person. You can attach the wording later."),
            FieldSpec("informed_consent", "Will you ask every participant for their informed consent?",
                      FieldKind.YES_NO,
                      hint="Informed consent means they agree to take part after you have explained the test, its "
                           "risks and their right to leave it."),
            FieldSpec("consent_process", "How will you ask for and record consent?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT, only_if=("informed_consent", YES),
                      hint="Include how participants can withdraw consent without losing out."),
            FieldSpec("no_consent_reason", "Why will you not ask for consent, and how will you protect participants "
                      "instead?", FieldKind.TEXTAREA, max_length=LONG_TEXT, only_if=("informed_consent", NO)),
            FieldSpec("complaints_process", "How can participants complain?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Describe how to complain, how quickly you will respond, and whether participants can take "
                           "a complaint you have not resolved to an ombudsman or dispute resolution scheme."),
            FieldSpec("compensation_arrangements", "How will you put things right if a participant loses out?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Explain how you will compensate people for loss or harm the test causes, and how you will "
                           "pay for it, for example money set aside, insurance or a guarantee from a parent company."),
            FieldSpec("human_oversight", "How will people oversee the system?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Say who checks its outputs, when a person must approve a decision or can override it, "
                           "and how staff are trained to spot and challenge mistakes."),
            FieldSpec("kill_switch", "How can you stop the system quickly?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Explain who can switch it off, how fast, what happens to participants when you do, and "
                           "when you last checked that this works."),
            FieldSpec("outputs_reversible", "Can the system's decisions and outputs be reversed?", FieldKind.CHOICE,
                      hint="For example, a refused application that can be reconsidered, or a payment that can be "
                           "refunded.", choices=(
                Choice("all", "Yes, all of them"),
                Choice("some", "Some of them"),
                Choice("none", "No"),
            )),
            FieldSpec("reversal_process", "How will you correct a wrong decision or output?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Explain how a participant can have a decision reviewed and reversed, and how you will "
                           "limit the harm from any that cannot be reversed."),
        ),
    ),

    # 7. Data --------------------------------------------------------------------------------------------------------
    SectionSpec(
        key="data",
        title="Data",
        summary="We need to know what data the test uses and that you will handle personal data lawfully and "
                "securely.",
        fields=(
            FieldSpec("data_categories", "What data will the system use?", FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="List the types of data one per line, for example identity details, transaction history, "
                           "credit file or call recordings, and say which are personal data."),
            FieldSpec("special_category_data", "Will you use any sensitive personal data?", FieldKind.YES_NO,
                      hint="For example, data about health, ethnicity, religion, sex life or sexual orientation, "
                           "biometric data used to identify people, or criminal records."),
            FieldSpec("special_category_details", "Which sensitive data will you use, and why do you need it?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT, only_if=("special_category_data", YES),
                      hint="Include the legal condition that allows you to use it, for example to detect and correct "
                           "bias."),
            FieldSpec("data_sources", "Where does the data come from?", FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="For each source, say whether it is collected from participants, taken from your existing "
                           "records, bought from another organisation (name it) or publicly available. Include data "
                           "used to train and test the model."),
            FieldSpec("lawful_basis", "What is your main lawful basis for using personal data in the test?",
                      FieldKind.CHOICE,
                      hint="Data protection law only allows you to use personal data for a reason it recognises. "
                           "Choose the one you mainly rely on.", choices=(
                Choice("consent", "Consent", hint="The person has clearly agreed to it."),
                Choice("contract", "Contract",
                       hint="You need it to provide a service the person has asked for."),
                Choice("legal_obligation", "Legal obligation", hint="You need it to comply with the law."),
                Choice("legitimate_interests", "Legitimate interests",
                       hint="You need it for a genuine business reason that outweighs the impact on the person."),
                Choice("public_task", "Public task", hint="You need it to carry out a public function set by law."),
                Choice("other", "Another basis"),
            )),
            FieldSpec("lawful_basis_other", "Which lawful basis, and why does it apply?", FieldKind.TEXTAREA,
                      max_length=SHORT_TEXT, only_if=("lawful_basis", ("other",))),
            FieldSpec("dpia_completed", "Have you completed a data protection impact assessment (DPIA)?",
                      FieldKind.YES_NO,
                      hint="A DPIA is an assessment of the risks to people from how you use their personal data, and "
                           "how you will reduce them. You can attach it later."),
            FieldSpec("dpia_plan", "When will you complete it?", FieldKind.TEXTAREA, max_length=SHORT_TEXT,
                      only_if=("dpia_completed", NO),
                      hint="Or, if you think you do not need one, explain why."),
            FieldSpec("data_retention", "How long will you keep the data, and what will happen to it after the test?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Give a period for each type of data, including the system's outputs and logs, and say how "
                           "you will delete or anonymise it."),
            FieldSpec("data_transfers", "Will any personal data be sent to, stored in or accessed from another country "
                      "or territory?", FieldKind.YES_NO,
                      hint="Include cloud services, suppliers, staff in your group abroad and the provider of any "
                           "third-party model."),
            FieldSpec("data_transfer_details", "Where will the data go, and how will it be protected?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT, only_if=("data_transfers", YES),
                      hint="List one per line: the country or territory, the organisation receiving the data, and the "
                           "safeguard you rely on, for example an adequacy decision or contract clauses approved by a "
                           "data protection authority."),
        ),
    ),

    # 8. Risk and incidents ------------------------------------------------------------------------------------------
    SectionSpec(
        key="risk-and-incidents",
        title="Risk and incidents",
        summary="We need to see that you know what could go wrong in the test and are ready to act quickly if it "
                "does.",
        fields=(
            FieldSpec("risk_assessment", "What are the main risks of the test?", FieldKind.TEXTAREA,
                      hint="Cover harm to participants (for example wrong or unfair decisions, or unsuitable "
                           "products), to other people and markets, and to your organisation (for example security, "
                           "operational or financial risks). For each, say how likely and how serious it is."),
            FieldSpec("risk_mitigations", "How will you reduce each risk?", FieldKind.TEXTAREA,
                      hint="For each risk, describe the controls, who is responsible for them, and how much risk "
                           "remains."),
            FieldSpec("fairness_monitoring", "How will you check that the system treats people fairly?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Say which groups you will compare (for example by age, sex or disability), which measures "
                           "you will use, and what you will do if you find a difference."),
            FieldSpec("incident_response_plan", "What will you do if something goes wrong?", FieldKind.TEXTAREA,
                      hint="Describe how you will spot an incident, who decides what to do, how quickly you can stop "
                           "the system, and how you will tell and help the participants affected."),
            FieldSpec("incident_reporting", "What will you report to us as an incident, and how quickly?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Say what counts as a serious incident in this test and who will contact us. We will set "
                           "deadlines for reporting in the conditions if we admit you."),
        ),
    ),

    # 9. Exit --------------------------------------------------------------------------------------------------------
    SectionSpec(
        key="exit",
        title="Exit",
        summary="We need to know how the test will end, whatever the outcome, without leaving participants worse "
                "off.",
        fields=(
            FieldSpec("transition_strategy", "What will you do when the test ends?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Explain your plans if the test succeeds (for example launching more widely) and if it "
                           "does not."),
            FieldSpec("authorisation_needed", "Will you need a new licence or authorisation to carry on after the "
                      "test?", FieldKind.YES_NO,
                      hint="Include changes to a licence or permission you already hold."),
            FieldSpec("authorisation_plan", "Which licence or authorisation, and when will you apply for it?",
                      FieldKind.TEXTAREA, max_length=SHORT_TEXT, only_if=("authorisation_needed", YES)),
            FieldSpec("participant_transition", "What will happen to participants when the test ends?",
                      FieldKind.TEXTAREA, max_length=LONG_TEXT,
                      hint="Explain whether they can keep the product or service, move to another, or leave at no "
                           "cost, and how and when you will tell them."),
            FieldSpec("early_exit_triggers", "What would make you stop the test early?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="For example, a serious incident, results below a threshold you set, complaints above a "
                           "level, or losing funding."),
            FieldSpec("early_exit_plan", "How would you wind the test down if you stopped early?", FieldKind.TEXTAREA,
                      max_length=LONG_TEXT,
                      hint="Describe the steps, how long they take, and how you would protect participants and their "
                           "data while you wind down."),
        ),
    ),
)

SECTION_BY_KEY: dict[str, SectionSpec] = {s.key: s for s in SECTIONS}


# Consistency check, run at import ---------------------------------------------------------------------------------

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
CONTROLLER_KINDS = (FieldKind.CHOICE, FieldKind.YES_NO, FieldKind.MULTI)


def check_sections(sections: tuple[SectionSpec, ...]) -> None:
    """Raise ValueError, naming the culprit, if the specs are inconsistent."""
    keys: set[str] = set()
    names: dict[str, str] = {}
    for section in sections:
        if not SLUG.match(section.key) or section.key in keys:
            raise ValueError(f"section key {section.key!r} is not a URL slug or is used twice")
        keys.add(section.key)
        earlier: dict[str, FieldSpec] = {}
        for spec in section.fields:
            where = f"field {spec.name!r} in section {section.key!r}"
            if not SNAKE_CASE.match(spec.name):
                raise ValueError(f"{where}: name is not snake_case")
            if spec.name in names:
                raise ValueError(f"{where}: name already used in section {names[spec.name]!r}")
            names[spec.name] = section.key
            values = [choice.value for choice in spec.choices]
            if spec.kind in (FieldKind.CHOICE, FieldKind.MULTI) and not values:
                raise ValueError(f"{where}: a {spec.kind} field needs choices")
            if spec.kind not in (FieldKind.CHOICE, FieldKind.MULTI) and values:
                raise ValueError(f"{where}: only choice and multi fields have choices")
            if len(set(values)) != len(values):
                raise ValueError(f"{where}: choice values are not unique")
            if spec.kind is FieldKind.INTEGER and (spec.min_value is None or spec.max_value is None
                                                   or spec.min_value > spec.max_value):
                raise ValueError(f"{where}: an integer field needs min_value <= max_value")
            if spec.only_if is not None:
                other, wanted = spec.only_if
                controller = earlier.get(other)
                if controller is None:
                    raise ValueError(f"{where}: only_if refers to {other!r}, not an earlier field of the section")
                if controller.kind not in CONTROLLER_KINDS:
                    raise ValueError(f"{where}: only_if refers to {other!r}, a {controller.kind} field")
                allowed = ({"yes", "no"} if controller.kind is FieldKind.YES_NO
                           else {choice.value for choice in controller.choices})
                unknown = [value for value in wanted if value not in allowed]
                if not wanted or unknown:
                    raise ValueError(f"{where}: only_if values {unknown or wanted!r} are not answers to {other!r}")
            earlier[spec.name] = spec


check_sections(SECTIONS)
