"""Health documents (issue 13): IHE XDM packages and CDA R2 documents, read safely.
``xdm`` unpacks and checks a package, ``cda`` reads a document's header and body,
``narrative`` renders a narrative block to HTML; all pure Python (no Django)."""
