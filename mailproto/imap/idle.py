"""IMAP IDLE (RFC 2177) on one session: waited for inline (``idle_wait``), or begun, watched
and ended separately (``idle_begin``, ``idle_ready``, ``idle_end``) by a watcher that holds
many sessions from one thread with a selector on their sockets (``session_fileno``).
Pure Python, like the rest of the IMAP layer."""

from __future__ import annotations

from . import wire
from .answers import is_notification
from .errors import ImapUnavailable
from .session import IdleState, ImapSession


def idle_wait(session: ImapSession, folder: str, timeout: float) -> bool:
    """IDLE on ``folder`` until the server reports a change or ``timeout`` passes.
    Returns True when something changed (the caller then syncs the folder)."""
    idle_begin(session, folder)
    session.connection.wait_readable(timeout)
    return idle_end(session)


def idle_begin(session: ImapSession, folder: str, *, reselect: bool = True) -> None:
    """Start IDLE on ``folder`` (read-only) and return at the server's go-ahead. Without
    ``reselect``, a session that has ``folder`` selected IDLEs again at once: a change
    since its last IDLE then counts (untagged before the go-ahead), and a round trip is saved."""
    if reselect or session.selected != folder:
        session.examine(folder)
    tag, units = wire.idle_begin(session.connection)
    session.round_trips.count += 1
    session.idle = IdleState(tag=tag, changed=any(is_notification(u, b"") for u in units))


def idle_ready(session: ImapSession) -> bool:
    """Whether the server's word since IDLE began is already here (no system call: a
    watcher asks it of every session at each step): bytes already read or decrypted do not
    wake a selector, so they are looked at here; the selector sees the rest."""
    return session.idle is not None and (session.idle.changed or session.connection.has_buffered())


def idle_end(session: ImapSession) -> bool:
    """End IDLE: whether the folder changed meanwhile (new mail, expunge, flags)."""
    state, session.idle = session.idle, None
    if state is None:
        return False
    units = wire.idle_end(session.connection, state.tag)
    session.round_trips.count += 1
    session.dirty = True  # what IDLE reported is not applied here: a NOOP cannot vouch
    return state.changed or any(is_notification(unit, b"") for unit in units)


def session_fileno(session: ImapSession) -> int:
    """The session's socket descriptor, for a selector."""
    if session.connection.sock is None:
        raise ImapUnavailable("no socket")
    return session.connection.sock.fileno()
