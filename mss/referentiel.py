"""The opposable référentiel as data: every requirement of the ANS "Clients de messagerie
sécurisée de santé" référentiel (ECO.*, v1.0.1), the Ségur item on idle sessions and the rules
Mon espace santé applies to patients' mailboxes, each with where the code meets it.

Why a table in code: the tests that prove a requirement name its id
(``@pytest.mark.requirement("ECO.2.4.1")``), the test plugin refuses an id that is not here,
and ``manage.py conformance`` joins both into ``docs/conformance.md``: an auditor reads one
page, and a requirement that loses its last passing test is seen at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    MANDATORY = "obligatoire"
    NOT_APPLICABLE = "non applicable"


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    text: str
    code: tuple[str, ...] = ()
    scope: Scope = Scope.MANDATORY
    reason: str = ""  # why it does not apply, when it does not


def _r(id: str, text: str, *code: str) -> Requirement:  # noqa: A002 - the référentiel's word
    return Requirement(id=id, text=text, code=code)


def _na(id: str, text: str, reason: str) -> Requirement:  # noqa: A002
    return Requirement(id=id, text=text, scope=Scope.NOT_APPLICABLE, reason=reason)


REQUIREMENTS: tuple[Requirement, ...] = (
    # 1. Connection
    _r("ECO.1.0.1", "Envoi en SMTP avec STARTTLS (ou TLS implicite)", "mailproto/smtp/client.py"),
    _r("ECO.1.0.2", "Lecture en IMAP4 avec STARTTLS (ou TLS implicite)", "mailproto/imap/client.py"),
    _r("ECO.1.1.1", "TLS 1.2 au minimum", "mailproto/tls.py", "devstack/templates/dovecot.conf"),
    _r("ECO.1.1.3", "Seules les suites de chiffrement autorisées sont proposées", "mailproto/tls.py"),
    _r("ECO.1.1.5", "Le certificat de l'opérateur n'est pas expiré", "mailproto/tls.py"),
    _r("ECO.1.1.6", "Le certificat de l'opérateur n'est pas révoqué (CRL)", "mailproto/revocation.py",
       "mailproto/tls.py", "apps/mail/revocation.py"),
    _r("ECO.1.1.7", "La dernière CRL valide est conservée et utilisée si la source est injoignable",
       "apps/mail/revocation.py"),
    _r("ECO.1.1.9", "Configuration automatique de la BAL par les enregistrements DNS SRV (RFC 6186)",
       "mailproto/discovery.py", "apps/mail/endpoints.py"),
    _r("ECO.1.1.10", "IGC-Santé est la seule autorité de certification acceptée", "apps/core/checks.py",
       "mailproto/tls.py"),
    _r("ECO.1.2.1", "Authentification TLS puis XOAUTH2 avec le jeton Pro Santé Connect (BAL PER/ORG)",
       "mailproto/imap/client.py", "apps/mail/engine/access.py"),
    _r("ECO.1.2.3", "Une erreur de connexion n'empêche pas les autres fonctions",
       "apps/webmail/errors.py", "apps/mail/engine/access.py"),
    _r("ECO.1.2.5", "Le jeton d'accès n'est jamais stocké durablement", "apps/accounts/tokens.py",
       "apps/mail/services/outbox.py"),
    _r("ECO.1.2.6", "La session se termine quand le jeton de rafraîchissement est refusé",
       "apps/accounts/provider.py", "apps/mail/engine/pool.py"),
    _r("ECO.1.2.7", "La session est rouverte automatiquement tant que PSC est valide (rafraîchissement)",
       "apps/accounts/provider.py"),
    # 2.1 Documents
    _r("ECO.2.1.1", "Documents en IHE_XDM.zip accompagnés des mêmes documents en PDF/A-1",
       "apps/documents/produce", "apps/documents/xdm.py"),
    _r("ECO.2.1.2", "Le patient est retrouvé par le patientId (INS) de METADATA.XML",
       "apps/documents/xdm.py", "apps/flows/health_documents.py"),
    _r("ECO.2.1.3", "Objet XDM/1.0/DDM+<libellé> <NOM> <prénom> [<date de naissance>]", "mss/subjects.py",
       "apps/flows/health_documents.py"),
    _r("ECO.2.1.5", "Le PDF/A-1 est produit à partir du CDA", "apps/documents/produce"),
    _r("ECO.2.1.6", "Le PDF est nommé <date acte>_<type>_<NOM>_<prénom>_<n° dossier>.pdf",
       "apps/documents/produce"),
    # 2.2 Messages
    _r("ECO.2.2.1", "Message-ID sur chaque message", "apps/mail/services/building.py"),
    _r("ECO.2.2.2", "Corps text/plain ou multipart/alternative", "apps/mail/services/building.py",
       "mailproto/mime/compose_html.py"),
    _r("ECO.2.2.3", "Encodage UTF-8", "apps/mail/services/building.py"),
    _r("ECO.2.2.4", "In-Reply-To et References dans les réponses", "apps/mail/services/building.py",
       "mailproto/mime/message.py"),
    _na("ECO.2.2.5", "Reply-To pour les BAL applicatives",
        "Ne vise que les BAL applicatives qui émettent pour un logiciel métier ; le webmail écrit "
        "au nom d'une personne (BAL PER/ORG) et garde le Reply-To d'un message reçu."),
    _r("ECO.2.2.6", "Adresse d'un patient construite seulement à partir d'un INS qualifié", "mss/ins.py",
       "apps/patients/services.py", "apps/flows/patients.py"),
    _r("ECO.2.2.7", "Libellé de l'expéditeur <Titre>_<Prénom>_<NOM>_<Entité> (fonction pour une BAL ORG)",
       "mss/sender.py", "apps/mail/selectors/senders.py"),
    _r("ECO.2.2.8", "Proposer X-MSS-MES: FIN (fin des réponses d'un patient)", "mss/headers.py",
       "apps/flows/patients.py", "templates/webmail/compose.html"),
    # 2.3 Reports
    _r("ECO.2.3.1", "L'expéditeur peut demander un accusé de remise (DSN, RFC 3461 NOTIFY)",
       "mailproto/smtp/client.py", "mailproto/mime/receipts.py"),
    _r("ECO.2.3.2", "L'expéditeur peut demander un accusé de lecture (Disposition-Notification-To)",
       "apps/mail/services/building.py", "mailproto/mime/receipts.py"),
    # 2.4 MSSanté headers
    _r("ECO.2.4.1", "X-MSS-CODECDA = code du CDA (séparés par des virgules), absent sans CDA",
       "mss/headers.py", "apps/documents/produce"),
    _r("ECO.2.4.2", "X-MSS-INS: O/N selon que l'INS est qualifié, absent sans CDA", "mss/headers.py",
       "apps/documents/produce"),
    _r("ECO.2.4.3", "X-MSS-NIL sur chaque message (référence du produit, réglage)", "mss/headers.py",
       "apps/mail/services/building.py", "apps/core/checks.py"),
    # 3. Reading
    _r("ECO.3.1.1", "La liste distingue les messages de patients sans lire le domaine",
       "apps/patients/inbox_rule.py", "apps/flows/listing.py"),
    _r("ECO.3.1.2", "Un message de patient montre son nom de naissance, premier prénom et INS",
       "apps/flows/selectors.py", "apps/webmail/templatetags/mail_rows.py"),
    _r("ECO.3.1.3", "Le préfixe XDM/1.0/DDM+ est masqué", "mss/subjects.py", "apps/webmail/templatetags"),
    _r("ECO.3.1.4", "Recherche dans l'Annuaire Santé", "apps/trust/annuaire.py", "apps/flows/directory.py"),
    _r("ECO.3.1.5", "Choix du patient dans une liste, clé INS vérifiée, identité confirmée",
       "mss/ins.py", "apps/patients/selectors.py", "apps/flows/health_documents.py"),
    _r("ECO.3.1.6", "Proposer de renvoyer un accusé de lecture quand il est demandé",
       "apps/flows/receipts.py", "mailproto/mime/receipts.py"),
    # 4. Traces
    _r("ECO.4.1.1", "Chaque action sur la BAL est tracée (auteur, date, action, requête)",
       "apps/audit/events.py", "apps/audit/services.py", "apps/flows/actor.py"),
    _r("ECO.4.1.2", "Les traces sont conservées (durée de rétention)", "apps/audit/services.py",
       "apps/audit/guards.py"),
    # Integration answers (ANS IG, v1.1.3)
    _r("IG.MDN.1", "Lire un MDN d'intégration (forme v1.1.3 processed/error + Error:, et l'ancienne)",
       "mailproto/mime/receipts.py", "mss/integration.py"),
    _r("IG.MDN.2", "Répondre à un accusé de lecture en disant si le document est intégré (code 90x)",
       "apps/flows/receipts.py", "mailproto/mime/receipts.py"),
    _r("IG.MDN.3", "Le message [KO Intégration système !][90x] est montré comme échec du message qu'il cite",
       "mss/subjects.py", "apps/mail/services/receipts.py"),
    # Ségur
    _r("SC.SSI.1", "Session verrouillée après 2 heures d'inactivité", "apps/accounts/middleware.py",
       "apps/accounts/services.py"),
    # Mon espace santé (CNAM)
    _r("MES.1", "Fin d'échange avec un patient : objet [FIN] ou X-MSS-MES: FIN, montrés à l'utilisateur",
       "mss/subjects.py", "mailproto/mime/message.py", "templates/webmail/message.html"),
    _r("MES.2", "Un patient n'écrit en premier qu'à une BAL ORG de pharmacie ; sinon « à valider »",
       "apps/patients/inbox_rule.py"),
    _r("MES.3", "Les rejets de Mon espace santé (BAL fermée, patient inconnu, adresse invalide, plus de "
       "25 Mo) sont dits en français sur le message envoyé", "mss/bounces.py", "mailproto/mime/receipts.py",
       "apps/webmail/templatetags/mail_text.py"),
)

BY_ID: dict[str, Requirement] = {r.id: r for r in REQUIREMENTS}
