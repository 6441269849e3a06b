from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class AgencyRow:
    """One agency as an import source describes it; `parent_code` empty means a root."""

    code: str
    name: str
    kind: str
    unit_type: str = ""
    parent_code: str = ""
    active_from: datetime.date | None = None
    active_to: datetime.date | None = None
    successor_code: str = ""
