"""The X-MSS headers (DST MSSanté; ECO.2.4.x): their names and values, written when the
site builds a message and read when it shows one."""

from __future__ import annotations

PREFIX = "X-MSS-"
NIL = "X-MSS-NIL"  # the client's reference, given by the ANS at declaration: on every message
CODECDA = "X-MSS-CODECDA"  # the LOINC type of the health document a message carries
INS = "X-MSS-INS"  # "O": the package holds a qualified INS; "N": it does not
MES = "X-MSS-MES"  # "FIN": to a patient, who cannot reply to this message
QUALIFIED, NOT_QUALIFIED = "O", "N"
END_OF_EXCHANGE = "FIN"


def document_headers(*, type_code: str, qualified: bool) -> dict[str, str]:
    """What a message carrying a health document says of it."""
    return {CODECDA: type_code, INS: QUALIFIED if qualified else NOT_QUALIFIED}


def end_of_exchange_headers() -> dict[str, str]:
    """To a patient: "le patient ne peut pas répondre" (Mon espace santé)."""
    return {MES: END_OF_EXCHANGE}


def ins_qualified_read(value: str) -> bool | None:
    """What an X-MSS-INS value says: qualified (True), not (False), or nothing readable."""
    said = value.strip().upper()[:1]
    return True if said == QUALIFIED else False if said == NOT_QUALIFIED else None


def is_mss_header(name: str) -> bool:
    return name.upper().startswith(PREFIX)


def end_of_exchange_read(*, subject: str, headers: tuple[tuple[str, str], ...]) -> str:
    """To a patient, the end of the exchange (Mon espace santé): "all" when the subject is
    exactly "[FIN]" (no reply to this message nor any earlier one), "message" when the
    message says X-MSS-MES: FIN (no reply to it), else ""."""
    from .subjects import ends_every_exchange

    if ends_every_exchange(subject):
        return "all"
    said = next((value for name, value in headers if name.upper() == MES.upper()), "")
    return "message" if said.strip().upper() == END_OF_EXCHANGE else ""
