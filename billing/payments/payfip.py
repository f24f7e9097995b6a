"""PayFiP (the DGFiP's payment service, eopayment's ``payfip_ws``): the result of a payment is
always read from PayFiP's own web service (recupererDetailPaiementSecurise), never from the
fields of the notification, which only says "ask about this idOp".

A structure's ``service_url`` points eopayment at another PayFiP (a stand-in in tests): the
WSDL eopayment ships is copied with its SOAP address replaced, and the payment page moves
with it.
"""
from __future__ import annotations

import datetime
import hashlib
import tempfile
from decimal import Decimal
from pathlib import Path

import eopayment
from eopayment import payfip_ws

from .models import ProviderConfig
from .results import ProviderResponseError, ProviderResult, money_from_cents, state_of

WSDL_FOLDER = Path(payfip_ws.__file__).parent / "resource"
OFFICIAL_SOAP_ADDRESS = "https://www.payfip.gouv.fr/tpa/services/securite"


def _wsdl_for(service_url: str) -> str:
    """A copy of eopayment's WSDL (and its schemas) whose SOAP address is ``service_url``."""
    digest = hashlib.sha256(service_url.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"portail-payfip-{digest}"
    folder.mkdir(exist_ok=True)
    for source in WSDL_FOLDER.iterdir():
        text = source.read_text(encoding="utf-8")
        if source.name.endswith(".wsdl"):
            text = _replace_address(text, service_url.rstrip("/") + "/services/securite")
        (folder / source.name).write_text(text, encoding="utf-8")
    return (folder / "PaiementSecuriseService.wsdl").as_uri()


def _replace_address(wsdl: str, address: str) -> str:
    start = wsdl.find("location=\"", wsdl.find("soap:address"))
    end = wsdl.find("\"", start + len("location=\""))
    return wsdl[: start + len("location=\"")] + address + wsdl[end:]


def point_at_service(payment: eopayment.Payment, config: ProviderConfig) -> None:
    if config.service_url:
        payment.backend.payfip = payfip_ws.PayFiP(wsdl_url=_wsdl_for(config.service_url))


def payment_page_url(config: ProviderConfig, url: str) -> str:
    if config.service_url and url.startswith(payfip_ws.PAYMENT_URL):
        return config.service_url.rstrip("/") + "/paiementws.web" + url[len(payfip_ws.PAYMENT_URL):]
    return url


def payfip_result(payment: eopayment.Payment, *, idop: str, started_at: datetime.datetime | None = None) -> ProviderResult:
    """Ask PayFiP about one idOp. Its answer is the proof: ``signed`` is True only when it
    came from the web service."""
    try:
        response = payment.payment_status(idop, transaction_date=started_at)
    except payfip_ws.PayFiPError as error:
        raise ProviderResponseError(f"PayFiP {error.code}: {error.message}") from error
    data = {key: ("" if value is None else str(value)) for key, value in (response.bank_data or {}).items()}
    montant = data.get("montant")
    amount: Decimal | None = money_from_cents(montant) if montant else None
    return ProviderResult(
        signed=bool(response.signed), state=state_of(response.result), transaction_id=idop, bank_reference=idop,
        authorisation_number=data.get("numauto", ""), amount=amount, currency="EUR" if amount is not None else None,
        status_text=str(response.bank_status or ""), test=bool(response.test), data=data,
    )
