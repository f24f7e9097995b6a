"""Template helpers of the booking pages."""
from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
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


@register.simple_tag
def aggregate_grid_rows(weeks, child_id, day_url_prefix, see_day):
    """The rows of the month grid without an activity: each day a button to its day page.

    Written in Python rather than as template markup: 42 cells of a dozen template nodes
    each were a third of the page's time; the markup is the same (whitespace between inline
    elements kept where the template had it, since it is read out).
    """
    prefix, see_day = escape(day_url_prefix), escape(see_day)
    child_input = f'<input type="hidden" name="child" value="{int(child_id)}">'
    rows = []
    for week in weeks:
        cells = []
        for cell in week:
            state = cell.state
            td_class = (("" if cell.in_month else "pf-out") + ("" if state else " pf-none")
                        + (" pf-today" if cell.is_today else ""))
            current = ' aria-current="date"' if cell.is_today else ""
            head = (f'<td class="{td_class}"{current}>\n<div class="pf-cell {escape(state.css) if state else "pf-empty"}" '
                    f'id="jour-{cell.iso}">\n<span class="pf-weekday" aria-hidden="true">{escape(cell.weekday_abbr)}</span>\n')
            if state:
                body = (f'<form method="get" action="{prefix}{cell.iso}/">\n{child_input}\n'
                        f'<button type="submit" class="pf-day-button">\n<span class="pf-day-number">{cell.date.day}'
                        f'<span class="visually-hidden"> {escape(cell.month_name)}</span></span>\n{state_badge(state)}\n'
                        f'<span class="visually-hidden"> — {see_day}</span>\n</button>\n</form>\n')
            else:
                body = f'<div class="pf-day-static"><span class="pf-day-number">{cell.date.day}</span></div>\n'
            cells.append(f"{head}{body}</div>\n</td>")
        rows.append("<tr>\n" + "\n".join(cells) + "\n</tr>")
    return mark_safe("\n".join(rows))   # every value above is escaped or a number
