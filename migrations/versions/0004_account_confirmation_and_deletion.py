"""account confirmation and deletion

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 06:30:00

Accounts that existed before this revision were usable without confirmation, so they are
marked confirmed at the time of the upgrade.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE users SET email_confirmed_at = created_at"))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('email_confirmed_at')
