"""Exception types the library raises; the CLI turns each into one clear line and a non-zero exit code."""

from __future__ import annotations


class Pijler3Error(Exception):
    """An expected failure with a message a user can act on (what is wrong, where, what to do)."""

    exit_code = 1


class InputError(Pijler3Error):
    """A file or value given to us is malformed: names the file, the line and the reason."""

    exit_code = 2


class ConfigError(Pijler3Error):
    """A configuration file or key file is missing, unreadable or unsafe."""

    exit_code = 3
