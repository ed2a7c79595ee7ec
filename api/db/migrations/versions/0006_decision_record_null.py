"""decision records purged or absent are SQL NULL, not the JSON text null

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:10:00

Until now a purged record was written as the JSON value null, which ``record IS NOT NULL``
does not see as missing: each purge counted it again and backtests read it as an empty
passenger. The column now writes SQL NULL (``JSON(none_as_null=True)``); this turns the
rows already written into SQL NULL too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE decisions SET record = NULL WHERE record IS NOT NULL AND CAST(record AS TEXT) = 'null'"))


def downgrade() -> None:
    pass  # SQL NULL is what the JSON null always meant
