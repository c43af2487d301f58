"""MIME and header decoding. Pure Python: no Django import here."""
