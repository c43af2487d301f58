import pytest

from apps.webmail.templatetags.mail_text import list_subject


@pytest.mark.requirement("ECO.3.1.3")
def test_xdm_prefix_is_hidden_in_lists() -> None:
    assert list_subject("XDM/1.0/DDM+Compte rendu de biologie DUPONT Jeanne") == \
        "Compte rendu de biologie DUPONT Jeanne"
    assert list_subject("xdm/1.0/ddm+ CR") == "CR"
    assert list_subject("Re: XDM/1.0/DDM+CR") == "Re: XDM/1.0/DDM+CR"
    assert list_subject(None) == ""
