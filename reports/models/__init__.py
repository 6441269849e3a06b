from reports.models.runs import ActionPlan, AgencyResult, Appraisal, GroupResult, IndexRun

__all__ = ["ActionPlan", "AgencyResult", "Appraisal", "GroupResult", "IndexRun"]
