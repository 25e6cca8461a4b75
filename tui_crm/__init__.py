"""tui-crm: a keyboard-driven personal CRM for the terminal."""

__version__ = "0.1.0"
