from reports.models.documents import DocumentKind, DocumentTemplate
from reports.models.runs import ActionPlan, AgencyResult, Appraisal, GroupResult, IndexRun

__all__ = ["ActionPlan", "AgencyResult", "Appraisal", "DocumentKind", "DocumentTemplate", "GroupResult", "IndexRun"]
