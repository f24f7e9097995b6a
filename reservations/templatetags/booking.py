"""Template helpers of the booking pages."""
from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def state_badge(state):
    """A state as colour class + icon (hidden from screen readers) + text; empty for no state.

    A tag rather than an include: the month grid renders ~50 of them per page.
    """
    if state is None:
        return ""
    return format_html(
        '<span class="pf-state {}"><span class="pf-state-icon" aria-hidden="true">{}</span> <span class="pf-state-text">{}</span></span>',
        state.css, state.icon, state.short,
    )
