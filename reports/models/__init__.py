from reports.models.runs import ActionPlan, AgencyResult, Appraisal, GroupResult, IndexRun
from reports.models.tallies import CountTally

__all__ = ["ActionPlan", "AgencyResult", "Appraisal", "CountTally", "GroupResult", "IndexRun"]
