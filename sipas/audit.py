from __future__ import annotations

from typing import Any

from django.db import models

from sipas.models import AuditEntry


def record_audit(*, actor, action: str, target: models.Model | None = None, **data: Any) -> AuditEntry:
    """Append an audit entry; call it inside the transaction of the change it describes."""
    return AuditEntry.objects.create(
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data,
    )
