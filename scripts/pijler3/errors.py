"""Exception types the library raises; the CLI turns each into one clear line and a non-zero exit code.

Every ``pijler3`` command exits with one of these codes (README, "Exit codes"); a scheduler can act on them:

====  ===========================================================================================================
code  meaning
====  ===========================================================================================================
0     done (or nothing left to do)
1     any other failure: the message says what to fix (e.g. the INSZ scan found a number, dbt failed)
2     bad input: a file or value given to pijler3 is malformed (the message names the file and line), or the command
      line lacks a required option or has an unknown one (click's usage message says which); fix it
3     key or configuration problem: missing, unsafe or malformed key, unknown or changed host key, login refused,
      server folder missing or not writable; fix the configuration, do not retry blindly
4     envelope refused: signature, addressee, size or hash does not match what the sender signed; ask the sender
5     replay: this wave of this kind was opened before
6     the audit log's hash chain is broken
7     this run set aside (quarantined) files from the SFTP server that did not verify or were refused; it went on as
      far as it could (it may still wait for the genuine file): look at what it names, then run again as usual
75    temporary: the server is unreachable after the retries, or the other party's file is not there yet; run the
      same command again later (EX_TEMPFAIL, sysexits.h)
130   interrupted (Ctrl-C)
====  ===========================================================================================================
"""

from __future__ import annotations

EXIT_CODES: dict[int, str] = {
    0: "done (or nothing left to do)",
    1: "any other failure; the message says what to fix",
    2: "bad input (a malformed file or value, or a missing or unknown option); the message says which",
    3: "key or configuration problem (keys, host key, login, server folders); fix, do not retry",
    4: "envelope refused (signature, addressee, size or hash); ask the sender",
    5: "replay: this wave of this kind was opened before",
    6: "the audit log does not verify: chain broken, an anchor no longer matches, or the notice register differs",
    7: "this run quarantined files from the SFTP server (it names them and where); look at them, then run again",
    75: "temporary: server unreachable or the other party's file not there yet; run again later",
    130: "interrupted (Ctrl-C)",
}


QUARANTINED_EXIT_CODE = 7
"""Exit code of a run that set aside files from the server (``pijler3.legs``): distinct from 75, so a scheduler
that retries on 75 still alerts someone, once, for the run that met them."""


class Pijler3Error(Exception):
    """An expected failure with a message a user can act on (what is wrong, where, what to do)."""

    exit_code = 1


class InputError(Pijler3Error):
    """A file or value given to us is malformed: names the file, the line and the reason."""

    exit_code = 2


class ConfigError(Pijler3Error):
    """A configuration file or key file is missing, unreadable or unsafe."""

    exit_code = 3


class TemporaryFailure(Pijler3Error):
    """Nothing is wrong on our side: the server or the other party is not ready. Run the same command again later."""

    exit_code = 75
