from surveys.models.campaigns import BackCheck, Campaign, CampaignAgency, CampaignState, Channel
from surveys.models.links import SurveyLink
from surveys.models.methodology import Factor, Methodology, Question, QuestionKind, QuestionRole, Scoring
from surveys.models.responses import FlagRule, RespondentType, Response, ResponseFlag

__all__ = [
    "BackCheck", "Campaign", "CampaignAgency", "CampaignState", "Channel", "Factor", "FlagRule", "Methodology",
    "Question", "QuestionKind", "QuestionRole", "RespondentType", "Response", "ResponseFlag", "Scoring", "SurveyLink",
]  # fmt: skip
