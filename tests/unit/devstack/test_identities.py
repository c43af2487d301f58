"""Demo identities are valid identifiers: RPPS Luhn keys and INS keys hold."""

from __future__ import annotations

from devstack import stack


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def test_rpps_idnats_are_test_range_with_a_valid_key() -> None:
    for identity in stack.IDENTITIES["identities"]:
        idnat = identity["idnat"]
        assert idnat.startswith("8997") and len(idnat) == 12
        assert luhn_ok(idnat[1:]), idnat


def test_patient_ins_keys_are_valid() -> None:
    for patient in stack.IDENTITIES["patients"]:
        ins = patient["ins"]
        assert len(ins) == 15 and int(ins[13:]) == 97 - int(ins[:13]) % 97


def test_profiles_use_distinct_loopback_ports() -> None:
    demo, test = (set(vars(stack.PROFILES[p]).values()) for p in ("demo", "test"))
    assert not demo & test and len(demo) == len(vars(stack.PROFILES["demo"]))


def test_every_mailbox_domain_is_served() -> None:
    domains = set(stack.IDENTITIES["domains"])
    assert {u.split("@")[1] for u in stack.all_mail_users()} <= domains
