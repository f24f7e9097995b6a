"""Dates written into HTML attributes, valid for the W3C validator: {% load html_dates %}.

- ``<time datetime="{{ moment|datetime_attr }}">``: "2026-12-01T19:00:45+01:00" (HTML allows at most
  three digits of a second's fraction; Django's ``date:'c'`` writes six).
- ``value="{{ form.field.value|date_input_value }}"`` in an <input type="date">, which may only
  hold a real date written YYYY-MM-DD: what a parent typed that is not one ("31/02/2027") is said
  in the field's error, never echoed into the value.
"""
import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def date_input_value(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value or "").strip()
    if len(text) != 10:
        return ""
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        return ""


@register.filter
def datetime_attr(value) -> str:
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return ""
