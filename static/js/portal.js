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
