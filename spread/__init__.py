"""spread: matchmaking for public-sector innovation internships."""
from spread.app import create_app

__all__ = ["create_app"]
