"""Why an evaluation stopped short: a feature the emulator does not reproduce, or a web ACL AWS rejects."""


class NotEmulatedError(Exception):
    """A statement, field or transformation whose AWS behaviour is not reproduced here.

    The evaluator never guesses: the rule that needs it is reported as not emulated (and treated as
    not matching), so a caller sees exactly which part of the web ACL its answer does not cover.
    """


class InvalidWebAclError(ValueError):
    """A web ACL that AWS would refuse (for example an override naming a rule its group lacks)."""
