/* The queue view, enhanced: a box that ticks every incident of the page, and keyboard shortcuts that work only
   while the focus is inside the list (WCAG 2.1.4): J and K move to the next and previous incident, X ticks it.
   Without this script the page works the same, one box at a time. */
(function () {
  "use strict";
  var table = document.querySelector(".worklist-table");
  if (!table || !table.tBodies.length) {
    return;
  }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var boxes = rows.map(function (row) { return row.querySelector("input[name=tickets]"); }).filter(Boolean);

  var head = table.querySelector("thead th");
  var all = document.createElement("input");
  all.type = "checkbox";
  all.id = "tick-all";
  all.setAttribute("aria-label", table.getAttribute("data-tick-all"));
  head.textContent = "";
  head.appendChild(all);

  function settle() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = ticked > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  boxes.forEach(function (box) { box.addEventListener("change", settle); });
  settle();

  table.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var row = event.target.closest ? event.target.closest("tbody tr") : null;
    var index = rows.indexOf(row);
    var key = event.key.toLowerCase();
    if (key === "j" || key === "k") {
      var next = index < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, index + (key === "j" ? 1 : -1)));
      var link = rows[next].querySelector("th a");
      if (link) {
        link.focus();
        event.preventDefault();
      }
    } else if (key === "x" && row) {
      var box = row.querySelector("input[name=tickets]");
      if (box) {
        box.click();
        event.preventDefault();
      }
    }
  });
  var hint = document.getElementById("worklist-keys");
  if (hint) {
    hint.hidden = false;
  }
}());
