"""A Systempay-like payment page served on 127.0.0.1 inside the test run.

It does what Systempay does with a shop's form, and nothing more: checks the form's
signature (SHA-1 or HMAC-SHA-256, with the shop's test key, by Systempay's documented rule in
``billing.tests.payments.systempay``), shows the amount with "Payer" / "Refuser" /
"Annuler", then signs the result, POSTs it to the shop's notification URL (``vads_url_check``,
server to server) and sends the browser back to ``vads_url_return`` with the same signed
fields (return mode POST). Every notification it sent, and our server's answer, is kept in
``notifications``.
"""
from __future__ import annotations

import html
import secrets
import threading
import urllib.error
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from billing.tests.payments import systempay


class SystempaySimulator:
    def __init__(self, *, key: str = systempay.TEST_KEY, algo: str = "hmac_sha256", auth_number: str = "445401"):
        self.key, self.algo, self.auth_number = key, algo, auth_number
        self.forms: dict[str, dict[str, str]] = {}
        self.notifications: list[tuple[dict[str, str], int]] = []
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet in the test output
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8"),
                                                       keep_blank_values=True).items()}
                if self.path.rstrip("/") == "/vads-payment":
                    simulator.payment_page(self, fields)
                elif self.path.rstrip("/") == "/vads-payment/choice":
                    simulator.choice(self, fields)
                else:
                    self.send_error(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/vads-payment/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _answer(handler, status: int, body: str) -> None:
        content = body.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def payment_page(self, handler, fields: dict[str, str]) -> None:
        if fields.get("signature") != systempay.sign(fields, self.key, self.algo):
            self._answer(handler, 400, "<h1>Signature invalide</h1>")
            return
        token = secrets.token_hex(8)
        self.forms[token] = fields
        amount = f"{Decimal(fields['vads_amount']) / 100:.2f}".replace(".", ",")
        self._answer(handler, 200, f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Simulateur Systempay</title></head>
<body><h1>Simulateur Systempay</h1><p>Boutique {html.escape(fields.get('vads_site_id', ''))}</p>
<p>Montant : <strong id="montant">{amount} EUR</strong></p>
<form method="post" action="/vads-payment/choice"><input type="hidden" name="token" value="{token}">
<button type="submit" name="outcome" value="paid">Payer</button>
<button type="submit" name="outcome" value="refused">Refuser</button>
<button type="submit" name="outcome" value="cancelled">Annuler</button></form></body></html>""")

    def choice(self, handler, fields: dict[str, str]) -> None:
        request = self.forms.get(fields.get("token", ""))
        if request is None:
            self._answer(handler, 404, "<h1>Transaction inconnue</h1>")
            return
        signed = systempay.notification_fields(request, outcome=fields.get("outcome", "paid"), key=self.key,
                                               algo=self.algo, auth_number=self.auth_number)
        self.notifications.append((signed, self._notify(request["vads_url_check"], signed)))
        inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in signed.items())
        self._answer(handler, 200, f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Retour à la boutique</title></head><body>
<form id="retour" method="post" action="{html.escape(request['vads_url_return'])}">{inputs}
<button type="submit">Retour à la boutique</button></form>
<script>document.getElementById("retour").submit();</script></body></html>""")

    @staticmethod
    def _notify(url: str, fields: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=systempay.body(fields).encode("utf-8"), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
