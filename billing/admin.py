"""The staff admin of billing, one module per sub-package (Django's admin autodiscovery imports
``billing.admin``: importing the modules registers their ModelAdmins, each once)."""
from .invoicing import admin as invoicing_admin  # noqa: F401
from .invoicing import sepa_admin  # noqa: F401
from .ledger import admin as ledger_admin  # noqa: F401
from .payments import admin as payments_admin  # noqa: F401
