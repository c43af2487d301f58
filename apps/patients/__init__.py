"""Patients (issue 14): the INS and the patient's traits (``ins``, pure), the registry of a
professional's or a structure's patients."""
