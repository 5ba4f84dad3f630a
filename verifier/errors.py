"""One exception hierarchy: user errors (exit 2) apart from internal bugs (exit 70)."""


class TcverifyError(Exception):
    """Base of every error tcverify raises on purpose."""

    exit_code = 70


class UserError(TcverifyError):
    """Bad input: a case, model or netlist that does not follow the spec, or a bad option.

    The message is one line naming the file and the key, gate or line.
    """

    exit_code = 2

    def __init__(self, message, path=None, key=None):
        where = ""
        if path is not None:
            where = f"{path}: "
        if key is not None:
            where += f"{key}: "
        super().__init__(where + message)
        self.message = message
        self.path = path
        self.key = key


    def keyed(self, key) -> "UserError":
        """The same error named by another key (the CLI names its flag for a field)."""
        return UserError(self.message, self.path, key)


class InternalError(TcverifyError):
    """A bug in tcverify itself, e.g. a counterexample that does not replay."""

    exit_code = 70
