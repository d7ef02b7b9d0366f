"""Errors raised for bad input, before any work is done."""


class ParameterError(ValueError):
    """A bad input: names the parameter and what is allowed.

    ``str(err)`` is one line, suitable for a CLI (exit status 2) or a notebook.
    """

    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")
