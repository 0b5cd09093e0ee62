"""pairing runs: heartbeat, and one running run per round enforced by the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 23:30:00

Runs left "running" by a process that died before this revision are marked failed, so the
unique index can be created and their rounds can run again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pairing_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text(
        "UPDATE pairing_runs SET status = 'failed', "
        "error = 'The process running it stopped before this upgrade.' "
        "WHERE status = 'running'"))
    op.create_index('uq_pairing_runs_one_running', 'pairing_runs', ['round_id'], unique=True,
                    sqlite_where=sa.text("status = 'running'"),
                    postgresql_where=sa.text("status = 'running'"))


def downgrade():
    op.drop_index('uq_pairing_runs_one_running', table_name='pairing_runs')
    with op.batch_alter_table('pairing_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
