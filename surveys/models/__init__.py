from surveys.models.campaigns import BackCheck, Campaign, CampaignAgency, CampaignState, Channel, Level, level_of_kind
from surveys.models.links import SurveyLink
from surveys.models.methodology import Factor, IndexRule, Methodology, Question, QuestionKind, QuestionRole, Scoring
from surveys.models.responses import FlagRule, RespondentType, Response, ResponseFlag, new_client_id

__all__ = [
    "BackCheck",
    "Campaign",
    "CampaignAgency",
    "CampaignState",
    "Channel",
    "Factor",
    "FlagRule",
    "IndexRule",
    "Level",
    "Methodology",
    "Question",
    "QuestionKind",
    "QuestionRole",
    "RespondentType",
    "Response",
    "ResponseFlag",
    "Scoring",
    "SurveyLink",
    "level_of_kind",
    "new_client_id",
]  # fmt: skip
