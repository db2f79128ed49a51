/* Sortable tables: a heading with data-sort-type becomes a button; a click sorts the rows by
   each cell's data-sort value, again reverses. Empty values (no score) always sort last. */
(function () {
  "use strict";
  function value(row, index, numeric) {
    var raw = row.cells[index].getAttribute("data-sort");
    if (raw === null) { raw = row.cells[index].textContent; }
    if (raw === "") { return null; }
    return numeric ? parseFloat(raw) : raw;
  }
  function sortBy(table, heading, index, numeric) {
    var body = table.tBodies[0];
    var ascending = heading.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, position) { row.setAttribute("data-position", position); });
    rows.sort(function (a, b) {
      var x = value(a, index, numeric), y = value(b, index, numeric);
      if (x === null || y === null) {
        if (x === y) { return a.getAttribute("data-position") - b.getAttribute("data-position"); }
        return x === null ? 1 : -1;
      }
      var order = numeric ? x - y : String(x).localeCompare(String(y));
      if (order === 0) { return a.getAttribute("data-position") - b.getAttribute("data-position"); }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (heading, index) {
      var type = heading.getAttribute("data-sort-type");
      if (!type) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (heading.firstChild) { button.appendChild(heading.firstChild); }
      heading.appendChild(button);
      button.addEventListener("click", function () {
        sortBy(table, heading, index, type === "number");
      });
    });
  });
})();
