"""iwmo-hub: validate, record and route iWmo 3.2 messages."""

__version__ = "0.1.0"
