"""Who may use Fluxx and at what price, as data: partner employers, registered families, member
municipalities and tariffs. Coordinators may look up employers and families (they need them on the
phone); only leads change anything, and only leads see members and tariffs.

One blueprint ("partners"), one module per page: employers, families, members (municipalities),
tariffs. Views parse the form (German messages), call one function of billing.admin inside a unit of
work, flash and redirect.
"""

from __future__ import annotations

from dashboard.partners import employers, families, members, tariffs
from dashboard.partners.blueprint import bp

__all__ = ["bp", "employers", "families", "members", "tariffs"]
