"""SMTP submission to the operator. Pure Python: no Django import here."""

from .client import SmtpEndpoint, SmtpError, SmtpRefused, SmtpUnavailable, smtp_submit

__all__ = ["SmtpEndpoint", "SmtpError", "SmtpRefused", "SmtpUnavailable", "smtp_submit"]
