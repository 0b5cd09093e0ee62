"""model store: versioned match models and fitted models

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 23:20:00

Inserts model version 1, current: the matching library's default parameters (empty params)
and no learned weights.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    match_models = op.create_table(
        'match_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('weights', sa.JSON(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('trained_on', sa.JSON(), nullable=True),
        sa.Column('evaluation', sa.JSON(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
    )
    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_models_status'), ['status'], unique=False)
    op.create_table(
        'fitted_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('model_id', sa.Integer(), nullable=False),
        sa.Column('profiles_version', sa.Integer(), nullable=False),
        sa.Column('n_profiles', sa.Integer(), nullable=False),
        sa.Column('blob', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['model_id'], ['match_models.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('model_id', 'profiles_version',
                            name='uq_fitted_models_model_profiles'),
    )
    with op.batch_alter_table('fitted_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fitted_models_model_id'), ['model_id'], unique=False)
    op.bulk_insert(match_models, [{
        'version': 1, 'params': {}, 'weights': None, 'status': 'current',
        'created_at': datetime.now(timezone.utc),
        'note': 'The matching library\'s default parameters.',
    }])


def downgrade():
    with op.batch_alter_table('fitted_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fitted_models_model_id'))
    op.drop_table('fitted_models')
    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_models_status'))
    op.drop_table('match_models')
