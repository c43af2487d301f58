"""ECO.2.2.7: the sender label says who writes and for which structure."""

from __future__ import annotations

import pytest

from mss.sender import function_label, person_label


@pytest.mark.requirement("ECO.2.2.7")
def test_a_person_is_title_first_name_name_entity_and_a_function_its_entity() -> None:
    assert person_label(title_code="DR", given_name="Claire", family_name="Martin",
                        entity="Cabinet médical des Tilleuls") == "Dr_Claire_MARTIN_Cabinet médical des Tilleuls"
    assert person_label(title_code="MME", given_name="Léa", family_name="Moreau") == "Mme_Léa_MOREAU"
    # Unknown parts are left out, never written empty; separators in names cannot shift parts.
    assert person_label(title_code="XX", given_name="", family_name="de la Tour") == "DE LA TOUR"
    assert person_label(title_code="PR", given_name="Jean_Marc", family_name="Roux\r\nBcc: x") == \
        "Pr_Jean Marc_ROUX BCC: X"
    assert function_label(function="Secrétariat", entity="EHPAD Les Glycines") == "Secrétariat_EHPAD Les Glycines"
    assert function_label(function="accueil") == "accueil"
