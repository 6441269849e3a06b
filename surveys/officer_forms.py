"""Forms of the Home Affairs officer's campaign screens (Sở Nội vụ): create and edit a campaign, dossier
volumes per surveyed agency, state changes and decisions on flagged responses.

Two `save()` methods below wrap existing services with the audit entry they lack (editing a draft, setting
dossier volumes); they are meant to move to surveys/services/campaigns.py as `update_campaign` and
`set_dossier_volumes` (see the note handed to the lead)."""

from __future__ import annotations

import datetime
import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyKind, Role
from agencies.scope import agencies_in_scope
from agencies.selectors import subtree
from surveys.method_views import visible_versions
from surveys.models import Campaign, CampaignAgency, CampaignState, Channel, FlagRule, Methodology
from surveys.models.campaigns import SampleMode
from surveys.services.campaigns import set_dossier_volumes, update_campaign

ROOT_KINDS = (AgencyKind.PROVINCE, AgencyKind.DEPARTMENT, AgencyKind.DISTRICT)
LEVEL_KINDS = (AgencyKind.DEPARTMENT, AgencyKind.DISTRICT, AgencyKind.COMMUNE, AgencyKind.SPECIAL_ZONE)
RESERVED_SLUGS = {"new"}  # /campaigns/new/ is the creation page
# Dossier volumes feed minimum samples and response rates; once a run is computed they are part of its inputs.
DEFAULT_CHANNELS = (Channel.QR, Channel.WEB, Channel.PAPER)
# Two-tier local government from 1 July 2025: province-level agencies and communes, no districts (cấp huyện).
TWO_TIER_FROM = datetime.date(2025, 7, 1)
NO_DISTRICTS = _(
    "Districts were abolished on 1 July 2025 (two-tier local government): a campaign from then on surveys "
    "province-level agencies and communes."
)
MAX_SAMPLE = 1_000_000
MAX_VOLUME = 100_000_000


def sample_field_name(kind: str) -> str:
    return f"sample_{kind}"


def parse_thresholds(text: str) -> list[float]:
    """ "80, 90" → [80.0, 90.0]: numbers between 0 and 100, separated by commas, semicolons or spaces."""
    values = []
    for part in re.split(r"[,;\s]+", text.strip()):
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” is not a number. Write thresholds like 80, 90 (use a dot for decimals)."),
                params={"value": part},
                code="not_a_number",
            ) from None
        if not 0 <= value <= 100:
            raise forms.ValidationError(
                _("Thresholds are percentages between 0 and 100; %(value)s is not."),
                params={"value": part},
                code="out_of_range",
            )
        values.append(value)
    return sorted(set(values))


def format_thresholds(values) -> str:
    return ", ".join(f"{float(value):g}" for value in values or [])


class CampaignSettingsForm(forms.Form):
    """The settings a draft campaign may still change: name, period, channels, minimum samples, targets."""

    name = forms.CharField(label=_("Name"), max_length=255)
    period_start = forms.DateField(
        label=_("Survey starts"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label=_("Survey ends"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The citizen form closes by itself the day after."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels allowed"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )
    sample_mode = forms.ChoiceField(
        label=_("Minimum sample per agency"),
        choices=SampleMode.choices,
        widget=forms.RadioSelect,
        help_text=_("From the dossier volume: an agency whose volume is not known yet uses its level's number below."),
    )
    sample_department = forms.IntegerField(
        label=_("Departments (sở, ban, ngành)"), required=False, min_value=0, max_value=MAX_SAMPLE
    )
    sample_district = forms.IntegerField(
        label=_("Districts (campaigns before 1 July 2025)"), required=False, min_value=0, max_value=MAX_SAMPLE
    )
    sample_commune = forms.IntegerField(
        label=_("Communes and wards"), required=False, min_value=0, max_value=MAX_SAMPLE
    )
    sample_special_zone = forms.IntegerField(
        label=_("Special zones"), required=False, min_value=0, max_value=MAX_SAMPLE
    )
    margin_of_error = forms.FloatField(
        label=_("Margin of error e (%)"),
        min_value=0.5,
        max_value=20,
        initial=5,
        help_text=_("Used with the dossier volume N: n = N / (1 + N·e²). 5% is usual."),
    )
    target_percent = forms.FloatField(label=_("Target (% satisfied)"), required=False, min_value=0, max_value=100)
    thresholds = forms.CharField(
        label=_("Thresholds (%)"),
        required=False,
        max_length=200,
        help_text=_("Reports count the agencies that reach each threshold, e.g. 80, 90."),
    )
    min_seconds = forms.IntegerField(
        label=_("Fastest plausible completion (seconds)"),
        min_value=0,
        max_value=3600,
        initial=45,
        help_text=_("Faster responses are flagged for review."),
    )

    submit_label = _("Save")

    def __init__(self, *args, surveyed_kinds=(), two_tier: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.surveyed_kinds = set(surveyed_kinds)
        # A campaign known to fall after the reform is not offered the district level at all.
        self.level_kinds = [k for k in LEVEL_KINDS if not (two_tier and k == AgencyKind.DISTRICT)]
        if two_tier:
            del self.fields[sample_field_name(AgencyKind.DISTRICT)]
        self.fields["channels"].initial = list(DEFAULT_CHANNELS)
        self.fields["sample_mode"].initial = SampleMode.FIXED
        self.helper = FormHelper()
        self.helper.layout = self.layout()
        self.helper.add_input(Submit("save", self.submit_label))

    def sample_fieldsets(self) -> list:
        return [
            "sample_mode",
            Row(*(Column(sample_field_name(kind), css_class="col-sm-6 col-lg-3") for kind in self.level_kinds)),
            "margin_of_error",
        ]

    def layout(self) -> Layout:
        return Layout(
            Fieldset(_("Campaign"), "name"),
            Fieldset(
                _("Survey period and channels"),
                Row(Column("period_start", css_class="col-sm-6"), Column("period_end", css_class="col-sm-6")),
                "channels",
            ),
            Fieldset(_("Minimum samples"), *self.sample_fieldsets()),
            Fieldset(_("Targets and quality checks"), "target_percent", "thresholds", "min_seconds"),
        )

    def clean_thresholds(self) -> list[float]:
        return parse_thresholds(self.cleaned_data.get("thresholds") or "")

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The survey cannot end before it starts."))
        district = sample_field_name(AgencyKind.DISTRICT)
        if start and start >= TWO_TIER_FROM and data.get(district):
            self.add_error(district, NO_DISTRICTS)
        if data.get("sample_mode") == SampleMode.FIXED:
            for kind in self.level_kinds:
                name = sample_field_name(kind)
                if kind in self.surveyed_kinds and name not in self.errors and not data.get(name):
                    self.add_error(name, _("Enter the minimum sample for this level (more than 0)."))
        return data

    def level_samples(self) -> dict[str, int]:
        return {
            kind: self.cleaned_data[sample_field_name(kind)]
            for kind in LEVEL_KINDS
            if self.cleaned_data.get(sample_field_name(kind)) is not None
        }

    def settings_values(self) -> dict:
        """Cleaned values under the names of Campaign's fields."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "channels": list(data["channels"]),
            "sample_mode": data["sample_mode"],
            "level_samples": self.level_samples(),
            "margin_of_error": round(data["margin_of_error"] / 100, 6),
            "target_percent": data["target_percent"],
            "thresholds": data["thresholds"],
            "min_seconds": data["min_seconds"],
        }


class CampaignCreateForm(CampaignSettingsForm):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    slug = forms.SlugField(
        label=_("Short name (slug)"),
        max_length=64,
        help_text=_("Letters without accents, digits and hyphens, e.g. sipas-2025. It appears in addresses."),
    )
    root = forms.ModelChoiceField(
        label=_("Root agency"),
        queryset=Agency.objects.none(),
        help_text=_("The campaign surveys agencies under this one."),
    )
    methodology = forms.ModelChoiceField(
        label=_("Questionnaire (methodology version)"), queryset=Methodology.objects.none()
    )
    agency_kinds = forms.MultipleChoiceField(
        label=_("Levels surveyed"),
        choices=[
            (kind.value, _("Districts (campaigns before 1 July 2025)") if kind == AgencyKind.DISTRICT else kind.label)
            for kind in LEVEL_KINDS
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every active agency of these levels under the root agency is surveyed."),
    )

    submit_label = _("Create the campaign")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root"].queryset = (
            agencies_in_scope(user, [Role.OFFICER]).filter(kind__in=ROOT_KINDS, active_to__isnull=True).order_by("path")
        )
        self.fields["root"].label_from_instance = lambda agency: f"{agency.name} ({agency.code})"
        # The shipped versions and the officer's own provinces' versions, never another province's.
        self.fields["methodology"].queryset = visible_versions(user).order_by("code")
        self.fields["methodology"].label_from_instance = lambda version: f"{version.code} — {version.label}"
        self.fields["methodology"].initial = (
            Methodology.objects.filter(code="SIPAS-2017").values_list("pk", flat=True).first()
        )
        self.fields["year"].initial = timezone.localdate().year
        self.fields["agency_kinds"].initial = [AgencyKind.DEPARTMENT, AgencyKind.COMMUNE]

    def layout(self) -> Layout:
        return Layout(
            Fieldset(
                _("Campaign"),
                Row(Column("year", css_class="col-sm-3"), Column("slug", css_class="col-sm-9")),
                "name",
                "root",
                "methodology",
            ),
            Fieldset(
                _("Survey period and channels"),
                Row(Column("period_start", css_class="col-sm-6"), Column("period_end", css_class="col-sm-6")),
                "channels",
            ),
            Fieldset(_("Agencies surveyed and minimum samples"), "agency_kinds", *self.sample_fieldsets()),
            Fieldset(_("Targets and quality checks"), "target_percent", "thresholds", "min_seconds"),
        )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug.lower() in RESERVED_SLUGS:
            raise forms.ValidationError(_("This short name is reserved; choose another."), code="reserved")
        if Campaign.objects.filter(slug=slug).exists():
            raise forms.ValidationError(
                _("The short name %(slug)s is already used by another campaign."), params={"slug": slug}, code="taken"
            )
        return slug

    def clean(self):
        self.surveyed_kinds = set(self.cleaned_data.get("agency_kinds") or ())
        data = super().clean()
        root, kinds = data.get("root"), data.get("agency_kinds")
        start = data.get("period_start")
        if kinds and AgencyKind.DISTRICT in kinds and start and start >= TWO_TIER_FROM:
            self.add_error("agency_kinds", NO_DISTRICTS)
        elif root and kinds:
            surveyed = subtree(root, include_root=False).filter(kind__in=kinds, active_to__isnull=True)
            if not surveyed.exists():
                self.add_error("agency_kinds", _("No active agency of these levels lies under the root agency."))
        return data

    def service_kwargs(self) -> dict:
        """Keyword arguments for surveys.services.campaigns.create_campaign."""
        data = self.cleaned_data
        return {
            **self.settings_values(),
            "year": data["year"],
            "slug": data["slug"],
            "root": data["root"],
            "methodology": data["methodology"],
            "agency_kinds": list(data["agency_kinds"]),
        }


class CampaignEditForm(CampaignSettingsForm):
    """Edits a draft campaign. The agencies surveyed stay as created; their minimum samples are recomputed
    when the sample settings change."""

    def __init__(self, *args, campaign: Campaign, surveyed_kinds=(), **kwargs):
        two_tier = campaign.period_start >= TWO_TIER_FROM and AgencyKind.DISTRICT not in set(surveyed_kinds)
        super().__init__(*args, surveyed_kinds=surveyed_kinds, two_tier=two_tier, **kwargs)
        self.campaign = campaign
        if not self.is_bound:
            self.initial = {
                "name": campaign.name,
                "period_start": campaign.period_start,
                "period_end": campaign.period_end,
                "channels": list(campaign.channels),
                "sample_mode": campaign.sample_mode,
                **{sample_field_name(kind): n for kind, n in (campaign.level_samples or {}).items()},
                "margin_of_error": round(campaign.margin_of_error * 100, 4),
                "target_percent": campaign.target_percent,
                "thresholds": format_thresholds(campaign.thresholds),
                "min_seconds": campaign.min_seconds,
            }

    def save(self, *, acting_user) -> Campaign:
        """Apply the changes through the service (draft only; raises CampaignStateError or ValueError)."""
        return update_campaign(campaign=self.campaign, acting_user=acting_user, **self.settings_values())


class DossierVolumeForm(forms.Form):
    """One field per surveyed agency: results returned in the period (N); blank means not known."""

    def __init__(self, *args, campaign: Campaign, participants: list[CampaignAgency], **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.participants = participants
        for participant in participants:
            self.fields[self.field_name(participant)] = forms.IntegerField(
                label=_("Results returned by %(agency)s") % {"agency": participant.agency.name},
                required=False,
                min_value=0,
                max_value=MAX_VOLUME,
                initial=participant.dossier_volume,
            )

    @staticmethod
    def field_name(participant: CampaignAgency) -> str:
        return f"volume_{participant.pk}"

    def rows(self):
        """(participant, bound field) in the order of the table."""
        return [(participant, self[self.field_name(participant)]) for participant in self.participants]

    def save(self, *, acting_user) -> int:
        """Store the volumes through the service; returns how many changed (raises CampaignStateError)."""
        volumes = {p.agency.code: self.cleaned_data[self.field_name(p)] for p in self.participants}
        return set_dossier_volumes(campaign=self.campaign, volumes=volumes, acting_user=acting_user)


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(choices=CampaignState.choices)
    confirmed = forms.BooleanField(required=False)  # closing before the period ends is asked for twice


class FlagDecisionForm(forms.Form):
    """Include or exclude flagged responses: every response with one rule, or one response."""

    decision = forms.ChoiceField(choices=[("include", _("Include")), ("exclude", _("Exclude"))])
    rule = forms.ChoiceField(choices=FlagRule.choices, required=False)
    response = forms.IntegerField(min_value=1, required=False)
    confirmed = forms.BooleanField(required=False)  # a decision on every response of a rule is asked for twice

    def clean(self):
        data = super().clean()
        if bool(data.get("rule")) == bool(data.get("response")):
            raise forms.ValidationError(_("Choose either a rule or one response."), code="target")
        return data

    def service_kwargs(self) -> dict:
        """Keyword arguments for surveys.services.quality.decide_flagged (besides campaign and acting_user)."""
        data = self.cleaned_data
        kwargs = {"include": data["decision"] == "include"}
        if data.get("rule"):
            kwargs["rule"] = data["rule"]
        else:
            kwargs["response_ids"] = [data["response"]]
        return kwargs


class FlagFilterForm(forms.Form):
    UNDECIDED, INCLUDED, EXCLUDED = "undecided", "included", "excluded"

    rule = forms.ChoiceField(label=_("Rule"), required=False, choices=[("", _("All rules")), *FlagRule.choices])
    decision = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[
            ("", _("All")),
            (UNDECIDED, _("Awaiting a decision (counted)")),
            (INCLUDED, _("Included")),
            (EXCLUDED, _("Excluded")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(Row(Column("rule", css_class="col-sm-6"), Column("decision", css_class="col-sm-6")))
        self.helper.add_input(Submit("", _("Filter"), css_class="btn-secondary"))
