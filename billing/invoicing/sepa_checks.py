"""Checks of SEPA identifiers: IBAN and BIC (schwifty), creditor identifier AT-02 (python-stdnum).

Each returns the value in its compact, canonical form or raises a ValidationError in French.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError as StdnumError


def check_iban(value: str) -> str:
    try:
        return IBAN(value).compact
    except SchwiftyException as error:
        raise ValidationError(_("Cet IBAN n'est pas valide (vérifiez les chiffres et la clé).")) from error


def check_bic(value: str) -> str:
    try:
        return BIC(value).compact
    except SchwiftyException as error:
        raise ValidationError(_("Ce BIC n'est pas valide.")) from error


def bic_of_iban(iban: str) -> str:
    """The BIC schwifty's bank registry knows for this IBAN, or ''."""
    try:
        bic = IBAN(iban).bic
    except SchwiftyException:
        return ""
    return bic.compact if bic else ""


def check_creditor_identifier(value: str) -> str:
    try:
        return at_02.validate(value)
    except StdnumError as error:
        raise ValidationError(_("Cet identifiant créancier SEPA (ICS) n'est pas valide.")) from error
