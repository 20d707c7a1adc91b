"""Failed logins by account name and client address, so one address's failures refuse a name
to that address only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already there get address '': until the window drops them they count towards their
    # name's cap over all addresses, not towards any client's own ten.
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=45), server_default='', nullable=False))
        batch_op.drop_index('ix_login_failures_name_at')
        batch_op.create_index('ix_login_failures_name_address_at', ['name', 'address', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_name_address_at')
        batch_op.create_index('ix_login_failures_name_at', ['name', 'at'], unique=False)
        batch_op.drop_column('address')
