"""Every domain's models, imported so that the metadata is complete (for Alembic and tests)."""

from __future__ import annotations

from portal.accounts.models import User  # noqa: F401
from portal.audit.models import AuditEvent  # noqa: F401
from portal.db import Base
from portal.notifications.models import OutgoingEmail  # noqa: F401
from portal.providers.models import District, Organisation  # noqa: F401

metadata = Base.metadata
from portal.agreements.models import Agreement, EndingNotice  # noqa: F401,E402
from portal.awards.models import LotAward  # noqa: F401,E402
from portal.bids.models import Bid  # noqa: F401,E402
from portal.decisions.models import Decision  # noqa: F401,E402
from portal.evaluation.models import Score  # noqa: F401,E402
from portal.files import StoredFile  # noqa: F401,E402
from portal.tenders.models import Tender  # noqa: F401,E402
from portal.transparency.ocds.models import OcdsRelease  # noqa: F401,E402
