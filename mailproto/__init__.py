"""The mail protocols and formats, in pure Python: IMAP, SMTP, ManageSieve, MIME (reading,
headers, the HTML sanitiser, receipts), client certificates and the identifiers they carry
(INS, RPPS). No Django and nothing from ``apps``: they pass frozen dataclasses, so they are
tested without a database and reused by any engine (import-linter's "mailproto" contract)."""
