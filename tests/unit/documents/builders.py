"""Small documents and packages built at test time (the project's own fixtures)."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

from apps.documents.samples import text_pdf

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def page_pdf(text: str = "Compte rendu de biologie") -> bytes:
    """A real one-page PDF: what a professional uploads and Ghostscript converts to PDF/A.
    ``PDF`` above has no page: it is refused."""
    return text_pdf([text])


PAGE_PDF = page_pdf()
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

HEADER = """<realmCode code="FR"/>
  <id root="1.2.250.1.999.1" extension="DOC-{n}"/>
  <code code="11502-2" displayName="CR d'examens biologiques" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Compte rendu de biologie {n}</title>
  <effectiveTime value="20261128103000+0100"/>
  <confidentialityCode code="N" displayName="Normal" codeSystem="2.16.840.1.113883.5.25"/>
  <setId root="1.2.250.1.999.2" extension="SET-{n}"/>
  <versionNumber value="2"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>
    <patient><name><given>Jeanne</given><given>Marie</given><family qualifier="BR">DUPONT</family>
      <family qualifier="SP">MARTIN</family></name>
      <administrativeGenderCode code="F"/><birthTime value="19790328"/></patient>
  </patientRole></recordTarget>
  <author><time value="20261128100000+0100"/><assignedAuthor>
    <id root="1.2.250.1.71.4.2.1" extension="899700123450"/>
    <code code="10" displayName="Médecin"/>
    <assignedPerson><name><prefix>Dr</prefix><given>Claire</given><family>Martin</family></name></assignedPerson>
    <representedOrganization><name>Laboratoire des Tilleuls</name></representedOrganization>
  </assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><name>Hôpital de Villefranche</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  <legalAuthenticator><assignedEntity><assignedPerson><name><given>Marc</given><family>Lefèvre</family></name>
  </assignedPerson></assignedEntity></legalAuthenticator>
  <relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.250.1.999.1" extension="DOC-OLD"/></parentDocument>
  </relatedDocument>"""


def n1_pdf(n: int = 1, pdf: bytes = PDF) -> bytes:
    body = base64.b64encode(pdf).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">{HEADER.format(n=n)}
  <component><nonXMLBody><text mediaType="application/pdf" representation="B64">{body}</text></nonXMLBody></component>
</ClinicalDocument>""".encode()


def n1_text() -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">{HEADER.format(n=2)}
  <component><nonXMLBody><text mediaType="text/plain">Résultats normaux.</text></nonXMLBody></component>
</ClinicalDocument>""".encode()


NARRATIVE = """<text>
  <paragraph>Avant <content styleCode="Bold Italics" ID="c1">important</content><br/>après
    H<sub>2</sub>O et m<sup>2</sup><footnote ID="fn1">Selon le protocole.</footnote>,
    revoir <footnoteRef IDREF="fn1"/>.</paragraph>
  <list listType="ordered"><caption>Étapes</caption>
    <item>Un<list><item>Un-un</item></list></item><item>Deux</item></list>
  <table border="1"><caption>Bilan</caption><colgroup><col span="2"/></colgroup>
    <thead><tr><th colspan="2">Examen</th></tr></thead>
    <tbody><tr><td rowspan="2">Hémoglobine</td><td styleCode="xcellHorizCenter">13,5</td></tr>
    <tr><td>g/dL</td></tr></tbody><tfoot><tr><td colspan="99999">fin</td></tr></tfoot></table>
  <paragraph><linkHtml href="https://esante.gouv.fr/ci-sis">CI-SIS</linkHtml>
    <linkHtml href="javascript:alert(1)">piège</linkHtml>
    <linkHtml href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">piège2</linkHtml>
    <linkHtml href="#c1">plus haut</linkHtml></paragraph>
  <renderMultiMedia referencedObject="img1"><caption>Radiographie</caption></renderMultiMedia>
  <renderMultiMedia referencedObject="img2"/>
  <paragraph>&lt;script&gt;alert(1)&lt;/script&gt;<script xmlns="http://www.w3.org/1999/xhtml">alert(2)</script>
    <unknownElement onclick="x()">texte gardé</unknownElement></paragraph>
</text>"""


def n3() -> bytes:
    png = base64.b64encode(PNG).decode()
    html_payload = base64.b64encode(b"<script>alert(3)</script>").decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">{HEADER.format(n=3)}
  <component><structuredBody><component><section>
    <code code="30954-2" displayName="Résultats"/><title>Résultats</title>{NARRATIVE}
    <entry><observationMedia ID="img1"><value mediaType="image/png" representation="B64">{png}</value>
    </observationMedia></entry>
    <entry><observationMedia ID="img2"><value mediaType="text/html" representation="B64">{html_payload}</value>
    </observationMedia></entry>
    <component><section><title>Sous-section</title><text><paragraph>Détail</paragraph></text></section></component>
  </section></component></structuredBody></component>
</ClinicalDocument>"""  .encode()


def n3_sections(sections: list[tuple[str, str]]) -> bytes:
    """An N3 whose sections have these titles and narrative contents (XML, unescaped)."""
    body = "".join(f"<component><section><title>{title}</title><text>{narrative}</text></section></component>"
                   for title, narrative in sections)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">{HEADER.format(n=4)}'
            f"<component><structuredBody>{body}</structuredBody></component></ClinicalDocument>").encode()


def self_presentable() -> bytes:
    inner = n3().decode().split("?>", 1)[1]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><html><body><script>alert(1)</script></body></html></xsl:template>
  <xsl:template name="doc">{inner}</xsl:template>
</xsl:stylesheet>""".encode()


def metadata(documents: list[tuple[str, bytes]], *, hashes: dict[str, str] | None = None) -> bytes:
    objects = []
    for number, (uri, data) in enumerate(documents, start=1):
        digest = (hashes or {}).get(uri, hashlib.sha1(data, usedforsecurity=False).hexdigest())
        objects.append(f"""<rim:ExtrinsicObject id="Document{number:02d}" mimeType="text/xml"
        objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
      <rim:Slot name="URI"><rim:ValueList><rim:Value>{uri}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="hash"><rim:ValueList><rim:Value>{digest}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="size"><rim:ValueList><rim:Value>{len(data)}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="creationTime"><rim:ValueList><rim:Value>20261128093000</rim:Value></rim:ValueList></rim:Slot>
      <rim:Name><rim:LocalizedString value="Compte rendu {number}"/></rim:Name>
      <rim:Classification classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d">
        <rim:Slot name="authorPerson"><rim:ValueList><rim:Value>899700123450^MARTIN^Claire</rim:Value>
        </rim:ValueList></rim:Slot></rim:Classification>
      <rim:Classification classificationScheme="urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
          nodeRepresentation="11502-2">
        <rim:Slot name="codingScheme"><rim:ValueList><rim:Value>2.16.840.1.113883.6.1</rim:Value>
        </rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString value="CR d'examens biologiques"/></rim:Name>
      </rim:Classification>
      <rim:ExternalIdentifier identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
          value="279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH"/>
    </rim:ExtrinsicObject>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
    xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>
  {''.join(objects)}
</rim:RegistryObjectList></lcm:SubmitObjectsRequest>""".encode()


def zip_of(files: dict[str, bytes], *, links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, "../../etc/passwd")
    return buffer.getvalue()


def xdm(documents: list[tuple[str, bytes]], *, root: str = "", lower: bool = False,
        hashes: dict[str, str] | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    def name(path: str) -> str:
        return root + (path.lower() if lower else path)
    files = {name("README.TXT"): b"Lisez-moi\n", name("INDEX.HTM"): b"<html><script>x</script></html>",
             name("IHE_XDM/SUBSET01/METADATA.XML"): metadata(documents, hashes=hashes)}
    files.update({name(f"IHE_XDM/SUBSET01/{uri}"): data for uri, data in documents})
    files.update(extra or {})
    return zip_of(files)
