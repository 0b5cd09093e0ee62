"""Partner suggestions: the public names of :mod:`spread.matchmaking`, where they live now."""
from spread.matchmaking.adapter import active_profiles, profile_to_matching
from spread.matchmaking.engine import EXTENSION_KEY, SuggestionEngine, engine, register_suggestions
from spread.matchmaking.index import MARGIN, MAX_K, TABLE_K, SuggestionIndex, build_index
from spread.matchmaking.suggestions import Suggestion, profile_with_version, suggestions_for

__all__ = [
    "EXTENSION_KEY", "MARGIN", "MAX_K", "TABLE_K", "Suggestion", "SuggestionEngine",
    "SuggestionIndex", "active_profiles", "build_index", "engine", "profile_to_matching",
    "profile_with_version", "register_suggestions", "suggestions_for",
]
