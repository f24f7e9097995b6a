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
