"""The Content-Security-Policy holds in a real browser: parent pages and the admin work under it,
and what it refuses is seen (every journey's context fails on a violation: conftest.new_context)."""
import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from billing.tests.factories import PaymentFactory

pytestmark = pytest.mark.browser


def test_an_inline_script_is_refused_and_reported_on_the_console(browser, live_server):
    """The control: the check the journeys rely on does see a violation."""
    context = browser.new_context(base_url=live_server.url)
    seen = []
    context.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    page = context.new_page()
    page.goto("/compte/connexion/")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = "document.body.dataset.ran = 'yes'"; document.head.append(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.body.dataset.ran") is None
    assert seen, "no CSP violation reported for an inline script"
    context.close()


@pytest.fixture
def two_families(db):
    town = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    parent = UserFactory(username="dupont", first_name="Jean-Paul", last_name="DUPONT")
    family = FamilyFactory(structure=town, payer_name="DUPONT Jean-Paul", users=[parent])
    FamilyFactory(structure=StructureFactory(name="Association Les Cambianes", slug="cambianes"), users=[parent])
    ChildFactory(family=family, first_name="Paolo")
    PaymentFactory(family=family)
    return parent, family


def test_a_parent_page_works_under_the_policy_and_a_button_is_sent_once(page, login_as, two_families):
    login_as(page.context, two_families[0])
    page.goto("/")
    page.get_by_label("Structure consultée").select_option(label="Mairie de CarteVille")
    page.get_by_role("button", name="Changer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mairie de CarteVille")
    # static/js/portal.js: a data-submit-once button is disabled once its form is sent.
    disabled = page.evaluate("""() => {
        const form = document.createElement('form');
        form.addEventListener('submit', (event) => event.preventDefault());
        const button = document.createElement('button');
        button.type = 'submit'; button.setAttribute('data-submit-once', '');
        form.append(button); document.body.append(form);
        button.click();
        return button.disabled;
    }""")
    assert disabled is True


def test_admin_pages_work_under_the_policy(page, login_as, two_families):
    login_as(page.context, UserFactory(username="root", is_staff=True, is_superuser=True))
    family = two_families[1]
    page.goto(f"/admin/accounts/family/{family.pk}/change/")
    page.locator("#id_users").locator("xpath=..").locator(".select2-selection").click()
    page.locator(".select2-search__field").fill("dup")
    expect(page.locator(".select2-results__option", has_text="dupont")).to_be_visible()
    page.goto("/admin/billing/payment/")
    total = page.locator(".monthly-totals td.num").first
    expect(total).to_be_visible()
    assert total.evaluate("(cell) => getComputedStyle(cell).textAlign") == "right"  # static/css/admin.css applied
