"""The addresses each account has logged in from lately, so a name refused to everyone after
failures from many addresses still opens from those.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty at first: until each moderator logs in once more, the cap over every address refuses
    # a name everywhere, as under 0004.
    op.create_table('login_addresses',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_addresses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'address', name=op.f('pk_login_addresses'))
    )


def downgrade() -> None:
    op.drop_table('login_addresses')
