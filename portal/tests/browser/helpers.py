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


def audit_page(page, *, label=None, phone=True):
    """axe on the page as it is, then (optionally) the phone width check; restores the viewport."""
    assert_no_serious_axe_violations(page, label=label)
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
