"""Staff imports and exports of families, parents' logins and children (django-import-export).

The spreadsheet comes from the structure's previous software (xlsx or CSV) with French column
names; the family number is the key. Everything happens in the structure chosen on the import
page (one of the staff member's, validated by the form): rows are looked up only among that
structure's families and children, new rows are created in it, so an import can never create
or change another structure's rows. A row that cannot be imported is *rejected* with its
reasons while the others go on; the preview (a dry run, rolled back) shows what will be
created, updated, left unchanged or rejected. Importing the same file again changes nothing.

A family row naming an identifier that does not exist yet creates that login with no
password, attaches it to the family and invites it (accounts.invitations).
"""
from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader
from import_export.results import RowResult

from .invitations import invitation_send
from .models import Child, Family, User

NUMBER = "N° famille"
LOGIN = "Identifiant"
# Other spellings of the column names seen in exports of other software, compared without
# case, accents, spaces or punctuation.
ALIASES = {
    NUMBER: ("numero de famille", "n famille", "num famille", "numero famille", "famille"),
    "Nom du payeur": ("payeur", "nom payeur", "responsable"),
    "Quotient familial": ("qf", "quotient"),
    "E-mail": ("email", "courriel", "adresse e-mail", "mail"),
    "Téléphone": ("tel", "telephone portable", "portable"),
    LOGIN: ("login", "identifiant portail", "identifiant de connexion"),
    "Groupe": ("classe", "ecole", "ecole classe", "groupe ecole classe"),
    "Date de naissance": ("naissance", "ne le", "date naissance"),
}


def header_key(text) -> str:
    decomposed = unicodedata.normalize("NFKD", str(text or "").casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


class TextWidget(widgets.CharWidget):
    """Text as typed, without surrounding spaces; 123.0 read from a spreadsheet becomes "123"."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else " ".join(str(value).split())


class FrenchDecimalWidget(widgets.Widget):
    """"812,50", "812.50", "1 234,5" or a number cell; empty means none."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        text = str(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(_("« %(value)s » n'est pas un nombre.") % {"value": value}) from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value).replace(".", ",")


class DayWidget(widgets.Widget):
    """A date cell, or 04/05/2016 / 2016-05-04 as text."""

    FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%y")

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        for fmt in self.FORMATS:
            try:
                return datetime.datetime.strptime(str(value).strip(), fmt).date()  # noqa: DTZ007  (a date, no time)
            except ValueError:
                continue
        raise ValueError(_("« %(value)s » n'est pas une date (écrivez-la 04/05/2016).") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d/%m/%Y") if value else ""


class StructureImportResource(resources.ModelResource):
    """Rows of one structure; invalid rows rejected with their reasons instead of stopping the import."""

    def __init__(self, *, structure=None, user=None, **kwargs):
        super().__init__(**kwargs)
        self.structure = structure
        self.user = user
        self.rejected: list[dict] = []

    def before_import(self, dataset, **kwargs):
        """Accept the usual other spellings of each column name."""
        known = {}
        for field in self.get_import_fields():
            known[header_key(field.column_name)] = field.column_name
            for alias in ALIASES.get(field.column_name, ()):
                known.setdefault(header_key(alias), field.column_name)
        if dataset.headers:
            dataset.headers = [known.get(header_key(header), header) for header in dataset.headers]

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        if result.import_type == RowResult.IMPORT_TYPE_INVALID:
            values = ["" if value is None else value for value in row.values()]
            self.rejected.append({"number": kwargs.get("row_number"), "values": values,
                                  "reasons": self._reasons(result.validation_error)})
            result.validation_error = None
            result.import_type = RowResult.IMPORT_TYPE_SKIP
        return result

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        result.rejected = self.rejected

    def _reasons(self, error: ValidationError) -> list[str]:
        columns = {field.attribute: field.column_name for field in self.get_import_fields() if field.attribute}
        reasons: list[str] = []
        for name, messages in getattr(error, "message_dict", {"": error.messages}).items():
            label = columns.get(name, name if name not in ("", "__all__") else "")
            reasons.extend(f"{label} : {message}" if label else message for message in messages)
        return reasons


class FamilyResource(StructureImportResource):
    """One row per family: number, payer, contact details, and the parent's identifier."""

    number = fields.Field(attribute="number", column_name=NUMBER, widget=TextWidget())
    civility = fields.Field(attribute="civility", column_name="Civilité", widget=TextWidget())
    payer_name = fields.Field(attribute="payer_name", column_name="Nom du payeur", widget=TextWidget())
    quotient = fields.Field(attribute="quotient", column_name="Quotient familial", widget=FrenchDecimalWidget())
    email = fields.Field(attribute="email", column_name="E-mail", widget=TextWidget())
    phone = fields.Field(attribute="phone", column_name="Téléphone", widget=TextWidget())
    address = fields.Field(attribute="address", column_name="Adresse", widget=TextWidget())
    login = fields.Field(column_name=LOGIN, readonly=True)

    class Meta:
        model = Family
        name = gettext_lazy("Familles et identifiants")
        fields = ("number", "civility", "payer_name", "quotient", "email", "phone", "address", "login")
        import_id_fields = ("number",)
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):
        return Family.objects.filter(structure=self.structure).prefetch_related("users")

    def init_instance(self, row=None):
        return Family(structure=self.structure)

    def dehydrate_login(self, family):
        return ", ".join(user.username for user in family.users.all())

    def _wanted_login(self, row) -> str:
        return TextWidget().clean(row.get(LOGIN))

    def _login_to_create(self, instance, row) -> str:
        """The identifier of the row when it is not attached to the family yet ("" otherwise)."""
        username = self._wanted_login(row)
        if not username or (instance.pk and any(user.username == username for user in instance.users.all())):
            return ""
        return username

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        username = self._login_to_create(instance, row)
        if username:
            try:
                User.username_validator(username)
                if len(username) > 150:
                    raise ValidationError(_("150 caractères au plus."))
            except ValidationError as error:
                errors.setdefault("login", []).extend(error.messages)
            else:
                if User.objects.filter(username=username).exists():
                    errors.setdefault("login", []).append(_(
                        "l'identifiant « %(login)s » existe déjà pour une autre famille : s'il est bien celui de "
                        "cette famille, rattachez-le depuis sa fiche.") % {"login": username})
        if errors:
            raise ValidationError(errors)

    def _reasons(self, error):
        return [reason.replace("login :", f"{LOGIN} :", 1) for reason in super()._reasons(error)]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        unchanged = super().skip_row(instance, original, row, import_validation_errors)
        return unchanged and not self._login_to_create(instance, row)

    def after_save_instance(self, instance, row, **kwargs):
        username = self._login_to_create(instance, row)
        if not username:
            return
        login = User(username=username, last_name=instance.payer_name[:150])
        login.set_unusable_password()
        login.save()
        instance.users.add(login)
        invitation_send(user=login, family=instance, by=self.user)


class FamilyNumberWidget(widgets.ForeignKeyWidget):
    """A family of the import's structure, by its number."""

    def __init__(self, structure):
        super().__init__(Family, field="number")
        self.structure = structure

    def get_queryset(self, value, row, *args, **kwargs):
        return Family.objects.filter(structure=self.structure)

    def clean(self, value, row=None, **kwargs):
        number = TextWidget().clean(value)
        if not number:
            raise ValueError(_("le numéro de famille manque."))
        family = self.get_queryset(number, row).filter(number=number).first()
        if family is None:
            raise ValueError(_("aucune famille n°%(number)s dans cette structure : importez d'abord les familles.")
                             % {"number": number})
        return family

    def render(self, value, obj=None, **kwargs):
        return value.number if value else ""


class ChildResource(StructureImportResource):
    """One row per child: the family number, names, birth date and school/class group."""

    family = fields.Field(attribute="family", column_name=NUMBER)
    last_name = fields.Field(attribute="last_name", column_name="Nom", widget=TextWidget())
    first_name = fields.Field(attribute="first_name", column_name="Prénom", widget=TextWidget())
    birth_date = fields.Field(attribute="birth_date", column_name="Date de naissance", widget=DayWidget())
    group = fields.Field(attribute="group", column_name="Groupe", widget=TextWidget())

    class Meta:
        model = Child
        name = gettext_lazy("Enfants")
        fields = ("family", "last_name", "first_name", "birth_date", "group")
        import_id_fields = ("family", "last_name", "first_name")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def __init__(self, *, structure=None, user=None, **kwargs):
        super().__init__(structure=structure, user=user, **kwargs)
        self.fields["family"].widget = FamilyNumberWidget(structure)

    def get_queryset(self):
        return Child.objects.filter(family__structure=self.structure).select_related("family")

    def before_import_row(self, row, **kwargs):
        # An unknown family is the row's fault, not the file's: reject the row with the reason.
        try:
            self.fields["family"].clean(row)
        except ValueError as error:
            raise ValidationError({"family": [str(error)]}) from None
