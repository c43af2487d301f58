"""A business software link reads its mailbox with nobody signed in (issue 29): the admin
refuses to link a personal mailbox, in French, and the sync of such a mailbox asks nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.integration.models import IntegrationEndpoint
from apps.integration.services import integration_inbox_rule
from apps.mail.engine.access import MailAccess
from apps.mail.models import Mailbox

pytestmark = pytest.mark.django_db


def test_a_personal_mailbox_cannot_be_linked_and_costs_its_syncs_nothing() -> None:
    personal = Mailbox.objects.create(address="claire@medecin.mssante.test")
    link = IntegrationEndpoint(mailbox=personal, software="DUI", host="127.0.0.1", port=2575)
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        link.full_clean()
    assert "boîte applicative (certificat client)" in str(refused.value)
    application = Mailbox.objects.create(address="dui@ehpad.mssante.test", kind=Mailbox.Kind.APPLICATION,
                                         auth_mode=Mailbox.AuthMode.CLIENT_CERTIFICATE)
    IntegrationEndpoint(mailbox=application, software="DUI", host="127.0.0.1", port=2575).full_clean()
    with CaptureQueriesContext(connection) as queries:
        integration_inbox_rule(MailAccess(mailbox=personal))
    assert len(queries) == 0
