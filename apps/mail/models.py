from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An MSSanté mailbox (BAL) at an operator, and how this site authenticates to it."""

    class Kind(models.TextChoices):
        PERSONAL = "PER", _("Personal mailbox")
        ORGANISATIONAL = "ORG", _("Organisational mailbox")
        APPLICATION = "APP", _("Application mailbox")
        CABINET = "CAB", _("Practice mailbox")

    class SyncError(models.TextChoices):
        """Whose side failed, for the line the folder pane shows."""

        SERVER = "server", _("operator's server unreachable")
        AUTH = "auth", _("access refused by the operator")
        INDEX = "index", _("local index could not be written")

    class AuthMode(models.TextChoices):
        PSC_XOAUTH2 = "psc_xoauth2", _("Pro Santé Connect (XOAUTH2)")
        CLIENT_CERTIFICATE = "client_certificate", _("Client certificate")
        PASSWORD = "password", _("Password (development stack only)")

    address = models.EmailField(_("address"), unique=True)
    kind = models.CharField(_("type"), max_length=3, choices=Kind.choices, default=Kind.PERSONAL)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="mailboxes", verbose_name=_("owner"))
    auth_mode = models.CharField(_("authentication"), max_length=32, choices=AuthMode.choices,
                                 default=AuthMode.PSC_XOAUTH2)
    # Empty means the operator defaults from settings (MSSANTE_IMAP_* / MSSANTE_SMTP_*).
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    client_cert_file = models.CharField(_("client certificate (PEM path)"), max_length=500,
                                        blank=True)
    client_key_file = models.CharField(_("client key (PEM path)"), max_length=500, blank=True)
    # An uploaded PKCS#12 certificate (mail.services.certificates): its key and chain as one
    # Fernet ciphertext (MSSANTE_CERT_KEYS), never shown back; what it is, in clear.
    client_certificate = models.BinaryField(blank=True, default=b"", editable=False)
    client_certificate_subject = models.CharField(_("client certificate"), max_length=300, blank=True,
                                                  editable=False)
    client_certificate_expires = models.DateTimeField(_("certificate expires"), null=True, blank=True,
                                                      editable=False)
    # An organisational, practice or application mailbox belongs to a structure: its
    # administrators manage who uses it (Delegation) in the admin.
    structure = models.ForeignKey("structures.Structure", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="mailboxes", verbose_name=_("structure"))
    # Sync state, shown in the folder pane ("Synchronisé à 10:42", error and retry).
    sync_running_since = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    last_sync_error = models.CharField(_("last sync error"), max_length=500, blank=True)
    last_sync_error_at = models.DateTimeField(null=True, blank=True)
    last_sync_error_kind = models.CharField(_("last sync error kind"), max_length=8, blank=True,
                                            choices=SyncError.choices)
    sync_failures = models.PositiveIntegerField(default=0)
    next_sync_after = models.DateTimeField(null=True, blank=True)
    # What the server last said (shown in the folder pane): its storage quota (IMAP QUOTA,
    # read at a full sync when mail came or went since the last reading, or when that is
    # old: a server may take long to answer it, see ``apps.mail.engine.sync_runs``), and
    # the out-of-office reply set through this site (ManageSieve).
    quota_used_kb = models.PositiveBigIntegerField(null=True, blank=True)
    quota_limit_kb = models.PositiveBigIntegerField(null=True, blank=True)
    quota_read_at = models.DateTimeField(null=True, blank=True)  # None: to read at the next full sync
    vacation_enabled = models.BooleanField(_("out-of-office reply"), default=False)
    vacation_start = models.DateField(null=True, blank=True)
    vacation_end = models.DateField(null=True, blank=True)
    # Messages whose text the body index does not hold yet (a new mailbox: all of them).
    bodies_indexing = models.BooleanField(default=True)
    # Every summary up to this id has its text indexed: later runs look only above it (a
    # folder-wide "not indexed yet" scan costs ~120 ms at 100k, at each new mail otherwise).
    bodies_indexed_through = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    @property
    def delegated(self) -> bool:
        """Reached through a delegation, not owned (``mailbox_list_for_user`` annotates
        ``delegated_rights``; a mailbox loaded otherwise counts as owned)."""
        return bool(getattr(self, "delegated_rights", ""))

    @property
    def read_only(self) -> bool:
        """Reached through a read-only delegation: no sending, moving, deleting, settings."""
        return getattr(self, "delegated_rights", "") == Delegation.Rights.READ

    @property
    def vacation_running(self) -> bool:
        """The out-of-office reply is on and today is within its dates."""
        today = timezone.localdate()
        return self.vacation_enabled and (self.vacation_start is None or self.vacation_start <= today) and (
            self.vacation_end is None or today <= self.vacation_end)

    @property
    def quota_used_bytes(self) -> int:
        return (self.quota_used_kb or 0) * 1024

    @property
    def quota_limit_bytes(self) -> int:
        return (self.quota_limit_kb or 0) * 1024

    @property
    def quota_nearly_full(self) -> bool:
        return bool(self.quota_limit_kb) and (self.quota_used_kb or 0) >= 0.9 * (self.quota_limit_kb or 1)


class Delegation(models.Model):
    """Someone other than the owner using a mailbox through this site: to read, or to read
    and send, from a first day to a last one (both included, either open). Checked on every
    request: a revoked (deleted) or expired delegation ends at the delegate's next page."""

    class Rights(models.TextChoices):
        READ = "read", _("Read only")
        SEND = "send", _("Read and send")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="delegations",
                                verbose_name=_("mailbox"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations",
                             verbose_name=_("delegate"))
    rights = models.CharField(_("rights"), max_length=4, choices=Rights.choices, default=Rights.READ)
    starts_on = models.DateField(_("first day"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("granted by"), editable=False)
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["mailbox", "user"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "user"], name="delegation_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.mailbox} ({self.get_rights_display()})"

    def clean(self) -> None:
        """The owner needs no delegation (access reads a delegation as "not the owner"),
        and a delegation ends after it starts."""
        from django.core.exceptions import ValidationError

        if self.mailbox_id and self.user_id and self.mailbox.owner_id == self.user_id:
            raise ValidationError({"user": _("This person owns the mailbox: no delegation is needed.")})
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day comes before the first.")})


class Folder(models.Model):
    """An IMAP folder and the state that makes its next sync incremental."""

    class Role(models.TextChoices):
        INBOX = "inbox", _("Inbox")
        DRAFTS = "drafts", _("Drafts")
        SENT = "sent", _("Sent")
        ARCHIVE = "archive", _("Archive")
        JUNK = "junk", _("Junk")
        TRASH = "trash", _("Trash")
        NONE = "", _("Folder")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(max_length=500)  # IMAP name (modified UTF-7 decoded)
    delimiter = models.CharField(max_length=1, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    selectable = models.BooleanField(default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uidnext = models.BigIntegerField(null=True, blank=True)
    # Set only once a full sync has completed: None means "resume the initial sync".
    highestmodseq = models.BigIntegerField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    unread = models.PositiveIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    # Inbox rules (engine.inbox_rules) have seen the messages up to this UID, for this
    # UIDVALIDITY: a rule acts on each new message once, never again on older ones.
    rules_checked_uid = models.BigIntegerField(null=True, blank=True)
    rules_uidvalidity = models.BigIntegerField(null=True, blank=True)
    # A rule whose action failed (the server down mid-move) waits before trying again
    # (``apps.core.backoff``); what it has not acted on stays unlisted meanwhile.
    rules_failures = models.PositiveIntegerField(default=0)
    rules_retry_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        constraints = [models.UniqueConstraint(fields=["mailbox", "name"],
                                               name="folder_unique_name")]

    def __str__(self) -> str:
        return f"{self.mailbox.address}/{self.name}"

    @property
    def label(self) -> str:
        """The name shown: the role's (translated) for a special folder, else the IMAP
        name. Cheaper than ``get_role_display``, which the folder pane and the reader's
        "Déplacer" menu asked once per folder on every page."""
        return str(ROLE_LABELS[self.role]) if self.role in ROLE_LABELS else self.name


ROLE_LABELS = {value: label for value, label in Folder.Role.choices if value}


# The sender as the list sorts it (its name, else its address, case folded): one
# expression for the index and the query, so that the database uses one for the other.
class EmptyAsNull(models.Func):
    """NULLIF(x, '') with the '' written in the SQL, not bound: an index expression is only
    used for a query whose expression is the same text, and a bound parameter is not."""

    template = "NULLIF(%(expressions)s, '')"
    output_field = models.CharField()


SENDER_SORT_KEY = Lower(Coalesce(EmptyAsNull("sender_name"), "sender_address"))


class MessageSummary(models.Model):
    """What the list and search need of a message; bodies stay on the server.

    Written in bulk by the sync engine with raw SQL (see apps.mail.sync): keep the column
    list there in step with these fields.
    """

    # No index of its own: the (folder, uid) unique constraint and the list index lead with
    # it, and a third index would only slow the bulk writes of an initial sync.
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="messages",
                               db_index=False)
    uid = models.BigIntegerField()
    modseq = models.BigIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    thread_key = models.CharField(max_length=40, blank=True)
    date = models.DateTimeField(null=True, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    sender_address = models.CharField(max_length=254, blank=True)
    to_display = models.CharField(max_length=500, blank=True)
    recipients = models.TextField(blank=True)  # lower-case addresses, space-separated
    subject = models.CharField(max_length=500, blank=True)
    size = models.PositiveIntegerField(default=0)
    seen = models.BooleanField(default=False)
    flagged = models.BooleanField(default=False)
    answered = models.BooleanField(default=False)
    draft = models.BooleanField(default=False)
    keywords = models.CharField(max_length=500, blank=True)
    has_attachment = models.BooleanField(default=False)
    att_pdf = models.BooleanField(default=False)
    att_xdm = models.BooleanField(default=False)
    att_cda = models.BooleanField(default=False)
    patient_ins = models.CharField(max_length=15, blank=True)
    is_report = models.BooleanField(default=False)  # MDN or DSN: shown on the message it is about
    unreadable = models.BooleanField(default=False)  # its summary could not be parsed

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [models.UniqueConstraint(fields=["folder", "uid"], name="message_unique_uid")]
        indexes = [
            # The list page: newest first within a folder, stable on uid.
            models.Index(fields=["folder", "-date", "-uid"], name="message_list_idx"),
            models.Index(fields=["folder", "thread_key"], name="message_thread_idx"),
            # The list sorted by sender (selectors.LIST_SORTS, the same expression): a page
            # read from the index instead of sorting the folder (92 ms at 100k without it).
            models.Index(models.F("folder"), SENDER_SORT_KEY, models.F("date").desc(), models.F("uid").desc(),
                         name="message_sender_idx"),
            # And by subject (the same expression as LIST_SORTS["objet"]): the folder sorted
            # in a temporary B-tree otherwise (tests/integration/test_query_plans.py).
            models.Index(models.F("folder"), Lower("subject"), models.F("date").desc(),
                         models.F("uid").desc(), name="message_subject_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or f"uid {self.uid}"


class OutboxMessage(models.Model):
    """A message on its way out: stored before anything is sent, so that an operator
    outage loses nothing; sent by a worker with retries; kept as a state the user sees."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="outbox")
    # None: sent by the site itself for the mailbox (an integration answer to a sender).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="outbox")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    message_id = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=500, blank=True)
    recipients = models.JSONField(default=list)
    # The whole message until it is sent; emptied afterwards (bodies are not kept here).
    raw = models.BinaryField(blank=True)
    # whose PSC token sends it: an encrypted reference to the session (apps.core.crypto),
    # never the session key (the sign-in cookie); emptied once sent or failed for good
    session_key = models.CharField(max_length=255, blank=True)
    dsn = models.BooleanField(default=False)  # delivery reports asked of the SMTP server
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set the moment the operator's SMTP server accepts: after a crash, never sent twice.
    smtp_accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.status})"


class Signature(models.Model):
    """The signature a user puts under what they write from one mailbox (a GP signs
    differently from the practice's shared mailbox). Its table keeps the name it had in the
    webmail app (moved here with issue 24: the use cases that read it sit below the pages)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signatures")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="signatures")
    text = models.TextField(_("signature"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "webmail_signature"
        constraints = [models.UniqueConstraint(fields=["user", "mailbox"], name="signature_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.mailbox_id}"


class ImageSender(models.Model):
    """A sender whose remote images this user always shows ("toujours pour cet expéditeur")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="image_senders")
    address = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "webmail_imagesender"
        constraints = [models.UniqueConstraint(fields=["user", "address"], name="image_sender_unique")]
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address
