/* Portail Famille — the site's own script (no inline script anywhere: the Content-Security-Policy
   allows scripts from the site's files only). Everything works without it. */
"use strict";

/* A submit button marked data-submit-once is disabled as soon as its form is sent, so an
   impatient second click does not send the form twice. */
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (button && button.hasAttribute("data-submit-once")) {
    button.disabled = true;
  }
});

/* After htmx replaced a calendar day or a day's activity (data-hx-swap="outerHTML"), the button
   that was pressed is gone: give the focus back to the new one (or to the day itself), and say
   in the live region (#pf-annonce) what changed, as the server wrote it (data-pf-announce). */
(function () {
  var swappedId = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    swappedId = target && target.id ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!swappedId) { return; }
    var element = document.getElementById(swappedId);
    swappedId = null;
    if (!element) { return; }
    if (element.id === "pf-vue") { pageSettled(element); return; }
    var focusable = element.querySelector("button, input:not([type=hidden]), a[href]");
    if (!focusable) {
      element.setAttribute("tabindex", "-1");
      focusable = element;
    }
    focusable.focus();
    var live = document.getElementById("pf-annonce");
    var text = element.getAttribute("data-pf-announce");
    if (live && text) {
      /* Emptied first so that the same sentence twice in a row is read twice. */
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
  });
})();

/* The cart's pages come as fragments (#pf-vue, portal/fragments.py): the summary from the cart
   badge, the result from "Valider réellement". A new page's heading takes the focus, as a page
   load would put the reader at its start, and is read out in the live region. */
function pageSettled(element) {
  var heading = element.querySelector("h1");
  if (!heading) { return; }
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
  var live = document.getElementById("pf-annonce");
  if (live) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = heading.textContent.trim(); }, 50);
  }
}

/* A refusal (a day that became full, a deadline passed, a summary too old…) comes back as a
   4xx or 5xx fragment with its French message: shown in place of the page like a success. An
   answer without #pf-vue (a proxy's error page) is not ours to show: a GET goes to the page the
   normal way, a POST gives its button back. */
document.addEventListener("htmx:beforeSwap", function (event) {
  var detail = event.detail;
  if (!detail.target || detail.target.id !== "pf-vue" || detail.xhr.status < 400) { return; }
  if (detail.xhr.responseText.indexOf('id="pf-vue"') !== -1) {
    detail.shouldSwap = true;
    detail.isError = false;
  } else if (detail.requestConfig && detail.requestConfig.verb === "get") {
    window.location.assign(detail.requestConfig.path);
  }
});
/* A whole view replaced (#pf-vue: the calendar by the summary, the summary by the result): htmx
   cleans up each element it takes away one by one, two events each (its own and its kebab-case
   twin), which for a month's calendar (about 500 elements) was most of the summary's swap (12-17
   ms, issue 16). Nothing in a view needs that cleaning (no polling, no trigger listening outside
   its own elements: their listeners go with them), so its contents go in one step and htmx
   cleans one empty element. Registered after the refusals' handler above: it sees its decision. */
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  if (event.detail.shouldSwap && target && target.id === "pf-vue") { target.replaceChildren(); }
});
document.addEventListener("htmx:afterRequest", function (event) {
  if (event.detail.successful) { return; }
  var buttons = event.detail.elt.querySelectorAll ? event.detail.elt.querySelectorAll("[data-submit-once]") : [];
  Array.prototype.forEach.call(buttons, function (button) { button.disabled = false; });
});

/* The footer's language switcher sends the browser back to the page it was written on: once a
   fragment has moved the address bar (the summary, the result), back to the address now. */
document.addEventListener("htmx:pushedIntoHistory", function () {
  var next = document.querySelector(".language-switcher input[name=next]");
  if (next) { next.value = window.location.pathname + window.location.search; }
});

/* Online payment: the page that sends the browser to the bank posts its form (or follows its
   link) at once; without JavaScript the parent clicks the button. */
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-auto-submit]");
  if (form) {
    form.submit();
    return;
  }
  var link = document.querySelector("a[data-auto-follow]");
  if (link) {
    window.location.assign(link.href);
  }
});
