"""Checks shared by the browser journeys: axe-core audit, phone layout, keyboard use."""
from pathlib import Path

AXE_JS = Path(__file__).parent / "assets" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
PHONE = {"width": 375, "height": 812}


def axe_violations(page, *, context=None):
    """Run axe-core (vendored, npm ``axe-core``) on the page; return its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the driver, not added as an inline <script>: the site's CSP refuses those.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (selector) => {
            const result = await axe.run(selector ? document.querySelector(selector) : document,
                                         {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
            }));
        }""",
        context,
    )


def format_violations(violations):
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:8]:
            summary = " ".join(node["summary"].split())[:300]
            lines.append(f"    {node['target']}  {summary}")
    return "\n".join(lines)


def assert_no_serious_axe_violations(page, *, label=None, context=None):
    """Fail with a readable list when axe finds serious or critical violations."""
    violations = [v for v in axe_violations(page, context=context) if v["impact"] in BLOCKING_IMPACTS]
    where = label or page.url
    assert not violations, f"axe: serious/critical violations on {where}:\n{format_violations(violations)}"


def assert_no_horizontal_scroll(page, *, label=None):
    """At a phone width nothing scrolls sideways (wide tables scroll inside their own container)."""
    page.set_viewport_size(PHONE)
    sizes = page.evaluate(
        """() => {
            const el = document.scrollingElement;
            const wide = [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > el.clientWidth + 1 && !e.closest('.collapse:not(.show)'))
              .slice(0, 5)
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                        + (e.className && typeof e.className === 'string'
                           ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
            return {scroll: el.scrollWidth, client: el.clientWidth, wide};
        }"""
    )
    where = label or page.url
    assert sizes["scroll"] <= sizes["client"], (
        f"{where} scrolls sideways at 375px: scrollWidth {sizes['scroll']} > {sizes['client']}; "
        f"too wide: {sizes['wide']}"
    )


def page_source(page):
    """The HTML the server sends for the page's address (what a validator must read, before the
    browser repairs it); the page as it stands when that address answers only POST."""
    response = page.context.request.get(page.url, max_redirects=0)
    if response.status in (301, 302, 303, 405):
        return page.content()
    return response.text()


def assert_valid_html(page, *, label=None):
    """The W3C Nu validator finds no error in the page's HTML."""
    from .validator import html_errors

    errors = html_errors(page_source(page))
    assert not errors, f"Nu validator: {len(errors)} error(s) on {label or page.url}:\n" + "\n".join(errors[:15])


def audit_page(page, *, label=None, phone=True, validate=True):
    """axe on the page as it is, the Nu validator on its HTML, then (optionally) the phone width
    check; restores the viewport."""
    assert_no_serious_axe_violations(page, label=label)
    if validate:
        assert_valid_html(page, label=label)
    if phone:
        before = page.viewport_size
        assert_no_horizontal_scroll(page, label=label)
        if before:
            page.set_viewport_size(before)


def focused_description(page):
    return page.evaluate(
        "() => { const e = document.activeElement; return e ? (e.outerHTML || '').slice(0, 200) : ''; }"
    )


def tab_to(page, locator, *, max_presses=80, backwards=False):
    """Press Tab (or Shift+Tab) until ``locator`` has the keyboard focus; fail if it never does."""
    key = "Shift+Tab" if backwards else "Tab"
    target = locator.element_handle()
    for _ in range(max_presses):
        page.keyboard.press(key)
        if page.evaluate("(el) => document.activeElement === el", target):
            return
    raise AssertionError(
        f"could not reach {locator} with {key} in {max_presses} presses; focus is on {focused_description(page)}"
    )


def activate_with_keyboard(page, locator, *, key="Enter", **kwargs):
    """Reach ``locator`` with Tab only, then press Enter (or Space)."""
    tab_to(page, locator, **kwargs)
    page.keyboard.press(key)


# --- what a phone shows, and the focus ring --------------------------------------------------

def boxes_outside_view(page, selector):
    """The elements matching ``selector`` that are not wholly inside the viewport, or that sit in a
    container scrolled sideways (a table wider than its box): a figure one must scroll to is hidden."""
    return page.evaluate(
        """(selector) => {
            const width = document.documentElement.clientWidth;
            const bad = [];
            for (const element of document.querySelectorAll(selector)) {
                const box = element.getBoundingClientRect();
                let why = '';
                if (box.width === 0 || box.height === 0) why = 'not shown';
                else if (box.left < 0 || box.right > width + 0.5) why = `box ${box.left}-${box.right} outside 0-${width}`;
                for (let up = element.parentElement; up && !why; up = up.parentElement) {
                    if (up.scrollWidth > up.clientWidth + 1 && getComputedStyle(up).overflowX !== 'visible') {
                        const limit = up.getBoundingClientRect().right;
                        const wide = [...up.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > limit + 1)
                            .slice(-3).map(e => e.tagName.toLowerCase() + '.' + e.className);
                        why = `inside ${up.tagName.toLowerCase()}.${up.className} scrolling sideways `
                            + `(${up.scrollWidth} > ${up.clientWidth}: ${wide})`;
                    }
                }
                if (why) bad.push(`${(element.innerText || '').trim().slice(0, 40)}: ${why}`);
            }
            return bad;
        }""",
        selector,
    )


# The ring of the focused element against what surrounds it: its colour is compared with the
# background of the nearest ancestor whose box holds the whole ring (the page, a card…), and an
# ancestor that clips overflow between the two must not cut the ring.
FOCUS_INDICATOR_JS = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return {ok: false, reason: 'nothing focused'};
    const describe = (element.outerHTML || '').slice(0, 160);
    const style = getComputedStyle(element);
    const parse = (colour) => {
        const m = colour.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return null;
        const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
        return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
    };
    const luminance = (c) => {
        const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
    };
    const width = parseFloat(style.outlineWidth) || 0;
    if (style.outlineStyle === 'none' || width < 2) {
        return {ok: false, reason: `no outline (${style.outlineStyle} ${style.outlineWidth})`, element: describe};
    }
    const ring = parse(style.outlineColor);
    const reach = width + Math.max(0, parseFloat(style.outlineOffset) || 0);
    const box = element.getBoundingClientRect();
    const outer = {left: box.left - reach, right: box.right + reach, top: box.top - reach, bottom: box.bottom + reach};
    const holds = (r) => r.left <= outer.left + 0.5 && r.right >= outer.right - 0.5
        && r.top <= outer.top + 0.5 && r.bottom >= outer.bottom - 0.5;
    let background = {r: 255, g: 255, b: 255, a: 1};
    for (let up = element.parentElement; up; up = up.parentElement) {
        const upStyle = getComputedStyle(up);
        const rect = up.getBoundingClientRect();
        const clips = upStyle.overflowX !== 'visible' || upStyle.overflowY !== 'visible';
        if (clips && !holds(rect) && up !== document.body && up !== document.documentElement) {
            return {ok: false, element: describe,
                    reason: `ring clipped by ${up.tagName.toLowerCase()}.${up.className} (overflow ${upStyle.overflow})`};
        }
        const colour = parse(upStyle.backgroundColor);
        if (colour && colour.a > 0 && (holds(rect) || up === document.body || up === document.documentElement)) {
            background = colour;
            break;
        }
    }
    const [light, dark] = [luminance(ring), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    return {ok: ratio >= 3, ratio: Math.round(ratio * 100) / 100, width, element: describe,
            reason: ratio >= 3 ? '' : `ring ${style.outlineColor} on ${JSON.stringify(background)}: ${ratio.toFixed(2)}:1`};
}"""


def focus_indicator(page):
    """{ok, ratio, reason, element} for the element that has the focus now."""
    return page.evaluate(FOCUS_INDICATOR_JS)


def assert_focus_ring_on_every_stop(page, *, label=None, max_stops=150):
    """Tab through the whole page from the top; every stop must show a ring of at least 3:1."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    seen = []
    failures = []
    for _ in range(max_stops):
        page.keyboard.press("Tab")
        marker = page.evaluate("() => { const e = document.activeElement; if (!e || e === document.body) return null;"
                               " if (!e.dataset.pfStop) e.dataset.pfStop = String(Math.random()); return e.dataset.pfStop; }")
        if marker is None or marker in seen:
            break
        seen.append(marker)
        result = focus_indicator(page)
        if not result["ok"]:
            failures.append(f"{result['reason']}: {result.get('element', '')}")
    assert seen, f"no focusable element on {label or page.url}"
    assert not failures, f"focus ring under 3:1 or missing on {label or page.url}:\n" + "\n".join(failures[:10])
    return len(seen)
