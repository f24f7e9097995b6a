"""Template helpers of the booking pages."""
from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext

register = template.Library()


class PerLanguageNode(template.Node):
    """What ``{% per_language key... %}…{% end_per_language %}`` encloses, rendered once per
    language and key in this process: markup that depends on nothing else (a table head, a
    legend) written once instead of a dozen translate tags per page."""

    def __init__(self, nodelist, keys):
        self.nodelist, self.keys, self.rendered = nodelist, keys, {}

    def render(self, context):
        key = (get_language(), *(_hashable(key.resolve(context)) for key in self.keys))
        text = self.rendered.get(key)
        if text is None:
            if len(self.rendered) > 100:   # keys are a handful of states and languages; bounded anyway
                self.rendered.clear()
            text = self.rendered[key] = self.nodelist.render(context)
        return text


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


@register.tag
def per_language(parser, token):
    """``{% per_language legend %}`` … ``{% end_per_language %}``: the content depends only on
    the language and the values named (see PerLanguageNode); nothing else of the context may be used."""
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    return PerLanguageNode(nodelist, keys)

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
def child_options(children, child):
    """The child picker's options (a tag: the template's loop cost ~150 Python calls an option)."""
    chosen = child.id
    return mark_safe("".join(   # names escaped, ids are numbers
        f'<option value="{int(kid.id)}"{" selected" if kid.id == chosen else ""}>{escape(kid.first_name)} '
        f'{escape(kid.last_name)}</option>' for kid in children))


@register.simple_tag
def activity_options(activities, activity):
    """The activity picker's options after "Toutes les activités" (see child_options)."""
    chosen = activity.id if activity else None
    return mark_safe("".join(   # names escaped, ids are numbers
        f'<option value="{int(item.id)}"{" selected" if item.id == chosen else ""}>{escape(item.name)}</option>'
        for item in activities))


@register.simple_tag
def aggregate_grid_rows(weeks, child_id, day_url_prefix, see_day):
    """The rows of the month grid without an activity: each day a button to its day page.

    Written in Python rather than as template markup: 42 cells of a dozen template nodes
    each were a third of the page's time; the markup is the same (whitespace between inline
    elements kept where the template had it, since it is read out).
    """
    prefix, see_day = escape(day_url_prefix), escape(see_day)
    child_input = f'<input type="hidden" name="child" value="{int(child_id)}">'
    # The few words of the grid escaped once each, not once per cell: 7 weekdays, 2-3 months, a few states.
    weekdays = [escape(cell.weekday_abbr) for cell in weeks[0]] if weeks else []
    months: dict = {}
    looks: dict = {}
    rows = []
    for week in weeks:
        cells = []
        for index, cell in enumerate(week):
            state = cell.state
            if state is None:
                css = "pf-empty"
            else:
                look = looks.get(state.code)
                if look is None:
                    look = looks[state.code] = (escape(state.css), state_badge(state))
                css, badge = look
            td_class = (("" if cell.in_month else "pf-out") + ("" if state else " pf-none")
                        + (" pf-today" if cell.is_today else ""))
            current = ' aria-current="date"' if cell.is_today else ""
            head = (f'<td class="{td_class}"{current}>\n<div class="pf-cell {css}" '
                    f'id="jour-{cell.iso}">\n<span class="pf-weekday" aria-hidden="true">{weekdays[index]}</span>\n')
            if state:
                month = months.get(cell.month_name)
                if month is None:
                    month = months[cell.month_name] = escape(cell.month_name)
                body = (f'<form method="get" action="{prefix}{cell.iso}/">\n{child_input}\n'
                        f'<button type="submit" class="pf-day-button">\n<span class="pf-day-number">{cell.date.day}'
                        f'<span class="visually-hidden"> {month}</span></span>\n{badge}\n'
                        f'<span class="visually-hidden"> — {see_day}</span>\n</button>\n</form>\n')
            else:
                body = f'<div class="pf-day-static"><span class="pf-day-number">{cell.date.day}</span></div>\n'
            cells.append(f"{head}{body}</div>\n</td>")
        rows.append("<tr>\n" + "\n".join(cells) + "\n</tr>")
    return mark_safe("\n".join(rows))   # every value above is escaped or a number


def _activity_cell(cell, *, child_id, toggle_url, here, csrf_input, htmx=False, error=None, cart_count=0) -> str:
    """One day of the month grid in activity mode (and the htmx answer to its toggle): the markup
    _day_cell.html wrote, from Python (an include per cell was most of that page's template time)."""
    state, slot = cell.state, cell.slot
    announce = ""
    if htmx:
        said = error if error else f"{date_filter(cell.date, 'l j F')} : {state.short if state else ''}"
        counted = ngettext("Panier : %(counter)s demande", "Panier : %(counter)s demandes", cart_count) % {"counter": cart_count}
        announce = f' data-pf-announce="{escape(said)}. {escape(counted)}"'
    parts = [f'<div class="pf-cell {escape(state.css) if state else "pf-empty"}" id="jour-{cell.iso}"{announce}>\n',
             f'  <span class="pf-weekday" aria-hidden="true">{escape(cell.weekday_abbr)}</span>\n']
    if slot is not None and slot.toggle_action:
        action = slot.toggle_action
        said = (gettext("Retirer du panier") if action == "remove" else gettext("Ajouter une annulation au panier")
                if action == "cancel" else gettext("Ajouter une réservation au panier"))
        places = ""
        if slot.places_left is not None and not slot.hold:
            places = ('<span class="pf-places">' + escape(ngettext("%(counter)s place", "%(counter)s places", slot.places_left)
                                                          % {"counter": slot.places_left}) + "</span>")
        url = escape(toggle_url)
        parts.append(
            f'    <form method="post" action="{url}" data-hx-post="{url}" data-hx-target="#jour-{cell.iso}" '
            f'data-hx-swap="outerHTML">\n      {csrf_input}\n'
            f'      <input type="hidden" name="child" value="{int(child_id)}">\n'
            f'      <input type="hidden" name="occurrence" value="{int(slot.occurrence.id)}">\n'
            f'      <input type="hidden" name="view" value="cell">\n'
            f'      <input type="hidden" name="next" value="{escape(here)}">\n'
            f'      <button type="submit" class="pf-day-button">\n'
            f'        <span class="pf-day-number">{cell.date.day}'
            f'<span class="visually-hidden"> {escape(cell.month_name)}</span></span>\n'
            f'        {state_badge(state)}\n        {places}\n'
            f'        <span class="visually-hidden">\n          — {escape(said)}\n          —</span>\n'
            f'        <span class="pf-cell-cost">{escape(slot.cost_text)}</span>\n'
            f'        <span class="pf-cell-deadline">{escape(slot.deadline_text)}</span>\n'
            f'      </button>\n    </form>\n')
    else:
        written = ""
        if state:
            written = state_badge(state)
            if slot is not None:
                written += (f' <span class="pf-cell-cost">{escape(slot.cost_text)}</span> '
                            f'<span class="pf-cell-deadline">{escape(slot.deadline_text)}</span>')
        parts.append(f'    <div class="pf-day-static">\n      <span class="pf-day-number">{cell.date.day}</span>\n'
                     f'      {written}\n    </div>\n')
    if error:
        parts.append(f'    <p class="pf-error small mb-0" role="alert">{escape(error)}</p>\n')
    parts.append("</div>")
    return "".join(parts)


def _csrf_input(context) -> str:
    token = context.get("csrf_token")
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">' if token else ""


@register.simple_tag(takes_context=True)
def day_cell(context, cell, child_id, toggle_url, here, htmx=False, error=None, cart_count=0):
    """The htmx answer to a toggle: the same cell as in the grid, with what is read out."""
    return mark_safe(_activity_cell(cell, child_id=child_id, toggle_url=toggle_url, here=here, csrf_input=_csrf_input(context),
                                    htmx=htmx, error=error, cart_count=cart_count or 0))


@register.simple_tag(takes_context=True)
def activity_grid_rows(context, weeks, child_id, toggle_url, here):
    """The rows of the month grid of one activity: each open day a toggle button (see _activity_cell)."""
    csrf_input = _csrf_input(context)
    rows = []
    for week in weeks:
        cells = []
        for cell in week:
            td_class = (("" if cell.in_month else "pf-out") + ("" if cell.state else " pf-none")
                        + (" pf-today" if cell.is_today else ""))
            current = ' aria-current="date"' if cell.is_today else ""
            inner = _activity_cell(cell, child_id=child_id, toggle_url=toggle_url, here=here, csrf_input=csrf_input)
            cells.append(f'<td class="{td_class}"{current}>\n{inner}\n</td>')
        rows.append("<tr>\n" + "\n".join(cells) + "\n</tr>")
    return mark_safe("\n".join(rows))   # every value in the cells is escaped or a number
