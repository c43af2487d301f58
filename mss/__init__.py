"""The MSSanté vocabulary in one place, in pure Python (no Django, nothing from the apps):
the INS and its OIDs (``ins``), the X-MSS headers with their values (``headers``), the
integration answers' codes 900–906 and their labels (``integration``). Every room that
writes or reads them uses these; a test greps the tree for a literal left elsewhere."""
