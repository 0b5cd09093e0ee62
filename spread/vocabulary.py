"""Controlled vocabularies: the codes stored in the database and their translatable labels."""
from flask_babel import lazy_gettext as _l

ORGANISATION_KINDS = {
    "municipality": _l("Municipality"),
    "region": _l("Region"),
    "state_agency": _l("State agency"),
    "other": _l("Other"),
}

REGIONS = {
    "hovedstaden": _l("Capital Region of Denmark"),
    "sjaelland": _l("Region Zealand"),
    "syddanmark": _l("Region of Southern Denmark"),
    "midtjylland": _l("Central Denmark Region"),
    "nordjylland": _l("North Denmark Region"),
}

LEVELS = {
    "municipal": _l("Municipal"),
    "regional": _l("Regional"),
    "state": _l("State"),
    "cross_government": _l("Across levels of government"),
}

OPSI_FACETS = {
    "enhancement": _l("Enhancement-oriented"),
    "adaptive": _l("Adaptive"),
    "mission": _l("Mission-oriented"),
    "anticipatory": _l("Anticipatory"),
}

SECTORS = {
    "health": _l("Health"),
    "elderly_care": _l("Elderly care"),
    "social_services": _l("Social services"),
    "disability": _l("Disability"),
    "employment": _l("Employment"),
    "education": _l("Education"),
    "daycare": _l("Daycare and early childhood"),
    "children_families": _l("Children and families"),
    "environment": _l("Environment and climate"),
    "transport": _l("Transport and mobility"),
    "urban_planning": _l("Urban planning and housing"),
    "culture_leisure": _l("Culture and leisure"),
    "digital_government": _l("Digital government"),
    "administration": _l("Administration and HR"),
    "public_safety": _l("Public safety and emergency services"),
    "business": _l("Business and growth"),
    "integration": _l("Integration"),
    "tax_finance": _l("Tax and finance"),
}

TARGET_GROUPS = {
    "citizens": _l("Citizens in general"),
    "elderly": _l("Older people"),
    "children": _l("Children"),
    "young_people": _l("Young people"),
    "families": _l("Families"),
    "unemployed": _l("Unemployed people"),
    "people_with_disabilities": _l("People with disabilities"),
    "patients": _l("Patients"),
    "relatives": _l("Relatives and carers"),
    "businesses": _l("Businesses"),
    "employees": _l("Public employees"),
    "refugees_immigrants": _l("Refugees and immigrants"),
    "vulnerable_adults": _l("Socially vulnerable adults"),
    "students": _l("Students"),
}

SIDES = {"giver": _l("Giver"), "taker": _l("Taker")}


def other_side(side: str) -> str:
    """The side a profile of ``side`` is paired with: givers with takers and back."""
    return "taker" if side == "giver" else "giver"

ROLES = {"participant": _l("Participant"), "coordinator": _l("Coordinator"),
         "admin": _l("Admin")}

PROFILE_LANGUAGES = {"da": _l("Danish"), "en": _l("English")}
