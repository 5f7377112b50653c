"""Rules of iWmo 3.2 that can be checked within one message: conditions (CD),
constraints (CS) and technical rules (TR). Each is one pure function in the registry."""

from app.rules.engine import RuleSet, default
from app.rules.registry import REGISTRY, Rule

__all__ = ["REGISTRY", "Rule", "RuleSet", "default"]
