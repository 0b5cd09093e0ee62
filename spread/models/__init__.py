"""All models, imported here so Alembic autogenerate and the app see every table."""
from spread.models.dialogue import (
    ActionTick,
    Adoption,
    Dialogue,
    Evaluation,
    FollowUp,
    LogEntry,
    LogEntryRevision,
    NextAction,
    PhaseGuide,
    PhaseMark,
    PoorFitFlag,
)
from spread.models.match_model import FittedModel, MatchModel, MatchModelStatus
from spread.models.matching_state import MatchingState
from spread.models.organisation import Organisation
from spread.models.profile import Profile, ProfileSector, ProfileTargetGroup
from spread.models.round import (
    AuditEvent,
    BannedPair,
    Enrolment,
    Interest,
    OutboxMessage,
    Pair,
    PairingRun,
    PairStatus,
    Round,
    RoundState,
)
from spread.models.user import ApiToken, Role, User

__all__ = [
    "ActionTick",
    "Adoption",
    "ApiToken",
    "AuditEvent",
    "BannedPair",
    "Dialogue",
    "Enrolment",
    "Evaluation",
    "FittedModel",
    "FollowUp",
    "Interest",
    "LogEntry",
    "LogEntryRevision",
    "MatchModel",
    "MatchModelStatus",
    "MatchingState",
    "NextAction",
    "Organisation",
    "OutboxMessage",
    "Pair",
    "PairStatus",
    "PairingRun",
    "PhaseGuide",
    "PhaseMark",
    "PoorFitFlag",
    "Profile",
    "ProfileSector",
    "ProfileTargetGroup",
    "Role",
    "Round",
    "RoundState",
    "User",
]
