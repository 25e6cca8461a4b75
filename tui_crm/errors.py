"""Errors a user sees as one clear line: the only exceptions the UI and CLI report."""


class CrmError(Exception):
    """Something the user can fix: bad input, a missing customer, a refused file."""


class ValidationError(CrmError):
    """One or more fields are invalid; `errors` maps field name to message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        first = next(iter(self.errors.items()))
        super().__init__(f"{first[0].replace('_', ' ')}: {first[1]}")


class NotFound(CrmError):
    """No customer (or record) matches what was asked for."""


class Ambiguous(CrmError):
    """A name matched several customers; `candidates` lists them."""

    def __init__(self, message: str, candidates: list):
        super().__init__(message)
        self.candidates = candidates


class ConflictError(CrmError):
    """Someone else saved the record since it was loaded; `changes` says what they changed."""

    def __init__(self, message: str, changes: list):
        super().__init__(message)
        self.changes = changes


class DatabaseRefused(CrmError):
    """The file given as the database is not ours, is corrupt, or is from a newer version."""


class UnverifiedValues(ValidationError):
    """Nothing is wrong enough to refuse, but some values cannot be verified (a phone number
    that does not validate); `warnings` maps field name to message. The caller shows them and,
    once the user confirms, saves again with `keep_unverified=True`, which keeps them as given."""

    def __init__(self, warnings: dict[str, str]):
        super().__init__(warnings)
        self.warnings = dict(warnings)
