"""All models, imported here so Alembic autogenerate and the app see every table."""
from spread.models.organisation import Organisation
from spread.models.profile import Profile, ProfileSector, ProfileTargetGroup
from spread.models.user import ApiToken, Role, User

__all__ = [
    "ApiToken",
    "Organisation",
    "Profile",
    "ProfileSector",
    "ProfileTargetGroup",
    "Role",
    "User",
]
