"""ManageSieve (RFC 5804) and the out-of-office reply's Sieve script (pure Python)."""

from .client import (
    SieveAuthError,
    SieveEndpoint,
    SieveError,
    SieveRefused,
    SieveScript,
    SieveSession,
    SieveUnavailable,
    sieve_connect,
)
from .vacation import SCRIPT_NAME, Vacation, vacation_from_script, vacation_script

__all__ = ["SCRIPT_NAME", "SieveAuthError", "SieveEndpoint", "SieveError", "SieveRefused", "SieveScript",
           "SieveSession", "SieveUnavailable", "Vacation", "sieve_connect", "vacation_from_script",
           "vacation_script"]
