// Attendance at the door: search a child by name, count the absences marked.
// Without JavaScript the page works the same (all children listed, the form posts every mark).
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function ready() {
    var sheet = document.getElementById("attendance-sheet");
    if (!sheet) { return; }
    var search = document.getElementById("attendance-search");
    var rows = Array.prototype.slice.call(sheet.querySelectorAll(".attendance-row"));
    var groups = Array.prototype.slice.call(sheet.querySelectorAll(".attendance-group"));
    var empty = sheet.querySelector(".attendance-empty");
    var counter = document.querySelector("[data-absent-count]");
    function filter() {
      var words = fold(search.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var key = row.getAttribute("data-search");
        var match = words.every(function (word) { return key.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      groups.forEach(function (group) {
        group.hidden = !group.querySelector(".attendance-row:not([hidden])");
      });
      empty.hidden = shown > 0;
    }
    function count() {
      var absent = 0;
      rows.forEach(function (row) {
        var checked = row.querySelector("input[type=radio]:checked");
        var isAbsent = checked && checked.value !== "present";
        row.classList.toggle("is-absent", Boolean(isAbsent));
        if (isAbsent) { absent += 1; }
      });
      if (counter) { counter.textContent = String(absent); }
    }
    if (search) { search.addEventListener("input", filter); }
    sheet.addEventListener("change", count);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
}());
