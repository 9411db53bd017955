"""Errors shared by every grouping config version."""


class RuleSyntaxError(ValueError):
    """A stack-trace or fingerprint rule text does not parse.

    `line` is 1-based, so a settings page can point at the offending line.
    """

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line
