"""Signals other apps listen to, so that accounts never imports them."""

from django.dispatch import Signal

# A user's PSC session is over for this site: the refresh grant was refused, or the user
# signed out, was locked out for inactivity or reached the absolute lifetime. Arguments:
# ``user_pk`` (int or None) and ``session_key`` (str or None). The mail engine closes every
# IMAP connection it holds with that user's tokens.
psc_session_ended = Signal()
