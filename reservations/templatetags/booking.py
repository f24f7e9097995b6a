"""Template helpers of the booking pages."""
from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()

# (state code, language) → the badge's HTML: states are module constants, so their markup
# is built once per language instead of escaping three strings ~40 times per month page.
_BADGES: dict = {}


@register.simple_tag
def state_badge(state):
    """A state as colour class + icon (hidden from screen readers) + text; empty for no state.

    A tag rather than an include: the month grid renders ~50 of them per page.
    """
    if state is None:
        return ""
    key = (state.code, state.css, state.icon, get_language())
    badge = _BADGES.get(key)
    if badge is None:
        badge = _BADGES[key] = format_html(
            '<span class="pf-state {}"><span class="pf-state-icon" aria-hidden="true">{}</span> <span '
            'class="pf-state-text">{}</span></span>',
            state.css, state.icon, state.short,
        )
    return badge
