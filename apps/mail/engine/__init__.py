"""The mail engine: how the site reaches a mailbox (``access``: ``MailAccess``, tokens,
certificates; ``pool``: IMAP sessions kept per process), keeps the index in step with the
server (``sync_runs``: syncs queued, locked, backed off; ``inbox_rules``: the hook other
apps' rules register in; ``watching``: the new-mail watcher), builds the body index
(``body_indexing``) and caches opened messages (``message_cache``). The domain's writes
(messages, folders, drafts, the outbox, receipts, delegations, vacation) are
``apps.mail.services``, above it: nothing here imports them (import-linter)."""
