"""A PayFiP stand-in served on 127.0.0.1 inside the test run, answering the two operations of
the WSDL eopayment ships (``PaiementSecuriseService.wsdl``): ``creerPaiementSecurise`` gives
an idOp for a payment request; ``recupererDetailPaiementSecurise`` tells what became of it
(resultrans P paid, R refused, A cancelled; fault P5 while the parent has not paid yet; fault
P1 for an idOp it does not know). Its payment page (``/paiementws.web?idop=…``) lets a test
pay, refuse or cancel, then notifies ``urlnotif`` with the idOp only, as PayFiP does.
"""
from __future__ import annotations

import datetime
import secrets
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zoneinfo
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/contrat_paiement_securise/PaiementSecuriseService"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
ET.register_namespace("S", SOAP)
ET.register_namespace("tns", TNS)


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


@dataclass
class Operation:
    request: dict[str, str]
    resultrans: str = ""          # "" while not paid yet (fault P5)
    numauto: str = ""
    paid_at: datetime.datetime | None = None
    overrides: dict[str, str] = field(default_factory=dict)   # a test may make PayFiP report something else


class PayFiPStandIn:
    def __init__(self):
        self.operations: dict[str, Operation] = {}
        self.calls: list[str] = []              # SOAP operations asked, in order
        self.notifications: list[int] = []      # our server's answers to the notifications
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _read(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self):
                path = urlsplit(self.path).path
                if path.endswith("/services/securite"):
                    stand_in.soap(self, self._read())
                elif path.endswith("/paiementws.web/choice"):
                    stand_in.choice(self, {k: v[0] for k, v in parse_qs(self._read().decode()).items()})
                else:
                    self.send_error(404)

            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path.endswith("/paiementws.web"):
                    stand_in.payment_page(self, parse_qs(parts.query).get("idop", [""])[0])
                else:
                    self.send_error(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """What a structure's "adresse du service" is set to (the stand-in's /tpa/)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/tpa/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- what a test does on "PayFiP's" side ---------------------------------------------------

    def settle(self, idop: str, resultrans: str, *, numauto: str = "123456") -> None:
        operation = self.operations[idop]
        operation.resultrans, operation.numauto = resultrans, numauto if resultrans == "P" else ""
        operation.paid_at = datetime.datetime.now(PARIS)

    def notify(self, idop: str) -> int:
        """PayFiP's notification: a POST to urlnotif carrying only the idOp."""
        request = urllib.request.Request(self.operations[idop].request["urlnotif"], data=urlencode({"idOp": idop}).encode(),
                                         method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        self.notifications.append(status)
        return status

    # --- HTTP ------------------------------------------------------------------------------------

    @staticmethod
    def _answer(handler, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def soap(self, handler, body: bytes) -> None:
        operation = ET.fromstring(body).find(f"{{{SOAP}}}Body")[0]  # type: ignore[index]
        name = _local(operation)
        self.calls.append(name)
        arg = {_local(child): (child.text or "") for child in operation[0]} if len(operation) else {}
        if name == "creerPaiementSecurise":
            idop = secrets.token_hex(16)
            self.operations[idop] = Operation(request=arg)
            self._soap_ok(handler, "creerPaiementSecuriseResponse", {"idOp": idop})
            return
        if name == "recupererDetailPaiementSecurise":
            found = self.operations.get(arg.get("idOp", ""))
            if found is None:
                self._soap_fault(handler, "P1", "IdOp incorrect.")
            elif not found.resultrans:
                self._soap_fault(handler, "P5", "Résultat de la transaction non connu.")
            else:
                paid_at = found.paid_at or datetime.datetime.now(PARIS)
                detail = {"dattrans": paid_at.strftime("%d%m%Y"), "exer": found.request.get("exer", ""),
                          "heurtrans": paid_at.strftime("%H%M"), "idOp": arg["idOp"], "mel": found.request.get("mel", ""),
                          "montant": found.request.get("montant", ""), "numauto": found.numauto,
                          "numcli": found.request.get("numcli", ""), "objet": found.request.get("objet", ""),
                          "refdet": found.request.get("refdet", ""), "resultrans": found.resultrans,
                          "saisie": found.request.get("saisie", "")}
                detail.update(found.overrides)
                self._soap_ok(handler, "recupererDetailPaiementSecuriseResponse", detail)
            return
        self._soap_fault(handler, "P0", "Opération inconnue.")

    def _envelope(self) -> tuple[ET.Element, ET.Element]:
        envelope = ET.Element(f"{{{SOAP}}}Envelope")
        return envelope, ET.SubElement(envelope, f"{{{SOAP}}}Body")

    def _soap_ok(self, handler, element: str, values: dict[str, str]) -> None:
        envelope, body = self._envelope()
        response = ET.SubElement(body, f"{{{TNS}}}{element}")
        result = ET.SubElement(response, "return")
        for key, value in values.items():
            ET.SubElement(result, key).text = value
        self._answer(handler, 200, ET.tostring(envelope, xml_declaration=True, encoding="UTF-8"), "text/xml; charset=utf-8")

    def _soap_fault(self, handler, code: str, text: str) -> None:
        envelope, body = self._envelope()
        fault = ET.SubElement(body, f"{{{SOAP}}}Fault")
        ET.SubElement(fault, "faultcode").text = "S:Server"
        ET.SubElement(fault, "faultstring").text = "fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"
        detail = ET.SubElement(fault, "detail")
        error = ET.SubElement(detail, f"{{{TNS}}}FonctionnelleErreur")
        for key, value in (("code", code), ("descriptif", text), ("libelle", text), ("severite", "2")):
            ET.SubElement(error, key).text = value
        self._answer(handler, 500, ET.tostring(envelope, xml_declaration=True, encoding="UTF-8"), "text/xml; charset=utf-8")

    def payment_page(self, handler, idop: str) -> None:
        operation = self.operations.get(idop)
        if operation is None:
            self._answer(handler, 404, b"<h1>IdOp inconnu</h1>", "text/html; charset=utf-8")
            return
        amount = f"{int(operation.request['montant']) / 100:.2f}".replace(".", ",")
        page = f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>PayFiP (simulation)</title></head>
<body><h1>PayFiP (simulation)</h1><p>Montant : <strong id="montant">{amount} EUR</strong></p>
<form method="post" action="paiementws.web/choice"><input type="hidden" name="idop" value="{idop}">
<button type="submit" name="resultrans" value="P">Payer</button>
<button type="submit" name="resultrans" value="R">Refuser</button>
<button type="submit" name="resultrans" value="A">Annuler</button></form></body></html>"""
        self._answer(handler, 200, page.encode(), "text/html; charset=utf-8")

    def choice(self, handler, fields: dict[str, str]) -> None:
        idop = fields.get("idop", "")
        if idop not in self.operations:
            self._answer(handler, 404, b"<h1>IdOp inconnu</h1>", "text/html; charset=utf-8")
            return
        self.settle(idop, fields.get("resultrans", "A"))
        self.notify(idop)
        self._answer(handler, 303, b"", "text/plain", {"Location": self.operations[idop].request["urlredirect"]})
