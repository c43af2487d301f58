"""The hand-over to a business software over MLLP in TLS (issue 29), against a real TLS
listener on loopback (the hl7 package's MLLP server, the devstack stand-in's answers): the
link's TLS context trusts the configured CA and nothing else, and asks at least TLS 1.2."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hl7
import hl7.mllp
import pytest
from django.test import override_settings

from apps.documents.cda import cda_read
from apps.documents.mdm import Party, ack_read, mdm_build
from apps.integration.mllp import MllpUnavailable, mllp_exchange
from apps.integration.models import IntegrationEndpoint
from apps.integration.services import _context
from devstack.dui_sim import answer
from tests.tls_material import authority
from tests.unit.documents.builders import n1_pdf
from tests.unit.documents.test_mdm import NOW


@contextmanager
def tls_dui(tmp_path: Path, chain: bytes, key: bytes, *,
            maximum: ssl.TLSVersion | None = None) -> Iterator[int]:
    (tmp_path / "dui.pem").write_bytes(chain)
    (tmp_path / "dui.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "dui.pem", tmp_path / "dui.key")
    if maximum is not None:
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximum
    loop = asyncio.new_event_loop()
    ready: list[int] = []
    started = threading.Event()
    stop = asyncio.Event()

    async def client(reader: hl7.mllp.HL7StreamReader, writer: hl7.mllp.HL7StreamWriter) -> None:
        try:
            block = await reader.readblock()
            writer.writeblock(answer(bytes(block).decode("utf-8"), tmp_path).encode("utf-8"))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        server = await hl7.mllp.start_hl7_server(client, "127.0.0.1", 0, ssl=context)
        ready.append(server.sockets[0].getsockname()[1])
        started.set()
        async with server:
            await stop.wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield ready[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def message() -> str:
    cda = n1_pdf()
    return mdm_build(document=cda_read(cda), cda=cda, control_id="MSW-TLS", now=NOW,
                     sender=Party("MSSANTE-WEB", "EHPAD"), receiver=Party("DUI", "EHPAD"))


def test_the_document_goes_over_tls_to_a_software_the_configured_ca_vouches_for(tmp_path: Path) -> None:
    ca = authority("AC DE LA STRUCTURE", unit="INFORMATIQUE", organisation="EHPAD")
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    with tls_dui(tmp_path, *ca.leaf("localhost")) as port, \
            override_settings(MSSANTE_TLS_CA_FILE=str(tmp_path / "ca.pem")):
        context = _context(IntegrationEndpoint(host="localhost", port=port, tls=True))
        assert context is not None and context.minimum_version == ssl.TLSVersion.TLSv1_2
        ack = ack_read(mllp_exchange(host="localhost", port=port, message=message(), timeout=10, context=context))
        assert ack.accepted and ack.control_id == "MSW-TLS"
        assert "MSW-TLS" in (tmp_path / "received.jsonl").read_text()


def test_a_software_another_ca_vouches_for_or_below_tls_12_gets_nothing(tmp_path: Path) -> None:
    ours, theirs = authority("AC DE LA STRUCTURE", unit="X", organisation="EHPAD"), authority("AC INCONNUE")
    (tmp_path / "ca.pem").write_bytes(ours.pem)
    with override_settings(MSSANTE_TLS_CA_FILE=str(tmp_path / "ca.pem")):
        context = _context(IntegrationEndpoint(host="localhost", port=1, tls=True))
        with tls_dui(tmp_path, *theirs.leaf("localhost")) as port, \
                pytest.raises(MllpUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            mllp_exchange(host="localhost", port=port, message=message(), timeout=10, context=context)
        with tls_dui(tmp_path, *ours.leaf("localhost"), maximum=ssl.TLSVersion.TLSv1_1) as port, \
                pytest.raises(MllpUnavailable):
            mllp_exchange(host="localhost", port=port, message=message(), timeout=10, context=context)
    assert not (tmp_path / "received.jsonl").exists()  # the software received nothing
