"""A stand-in for an EHPAD's business software (DUI) on loopback: the ``hl7`` package's own
MLLP server. It keeps every MDM^T02 it receives (once per control id: a message sent again
is acknowledged again, not stored twice) in ``received.jsonl``, and answers AA, or AE with
the code ``answers.json`` gives for the patient's INS ({"<INS>": "902"}), as the ANS IG says
a business software answers. ``stall.json`` ({"seconds": 60}), read once then removed, makes
it keep the next message and wait that long before answering (a sender's worker killed while
it waits must not make the document arrive twice).

    python devstack/dui_sim.py --port 11575 --state .devstack/test/dui
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import hl7
import hl7.mllp

LABELS = {"900": "Mauvaise version", "901": "Auteur non habilité", "902": "Patient inconnu",
          "903": "INS absent", "904": "INS ne correspond pas", "905": "INS incomplet", "906": "Autre erreur"}


def stall_seconds(state: Path) -> float:
    """The one-shot stall, consumed."""
    stall = state / "stall.json"
    try:
        seconds = float(json.loads(stall.read_text()).get("seconds", 0))
    except (OSError, ValueError):
        return 0.0
    stall.unlink(missing_ok=True)
    return seconds


def answer(text: str, state: Path) -> str:
    message = hl7.parse(text)
    control_id = str(message.segment("MSH")(10))
    ins = str(message.segment("PID")(3)).split("^")[0]
    received = state / "received.jsonl"
    seen = {json.loads(line)["control_id"] for line in received.read_text().splitlines()} \
        if received.exists() else set()
    if control_id not in seen:
        with received.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"control_id": control_id, "ins": ins, "message": text}) + "\n")
    answers = state / "answers.json"
    code = json.loads(answers.read_text()).get(ins, "") if answers.exists() else ""
    ack = message.create_ack("AE" if code else "AA", application="DUI", facility="EHPAD")
    text_ack = str(ack).rstrip("\r")
    if code:
        text_ack += f"\rERR|||{code}^{LABELS.get(code, 'Erreur')}^L|E"
    return text_ack


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()
    args.state.mkdir(parents=True, exist_ok=True)

    async def client(reader: hl7.mllp.HL7StreamReader, writer: hl7.mllp.HL7StreamWriter) -> None:
        try:
            while not reader.at_eof():
                block = await reader.readblock()
                ack = answer(bytes(block).decode("utf-8"), args.state)
                await asyncio.sleep(stall_seconds(args.state))
                writer.writeblock(ack.encode("utf-8"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await hl7.mllp.start_hl7_server(client, "127.0.0.1", args.port, limit=64 * 1024 * 1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
