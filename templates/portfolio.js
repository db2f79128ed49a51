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
    // Keys read once per row (thousands of rows), ties keep the current order.
    var keyed = Array.prototype.map.call(body.rows, function (row, position) {
      return { row: row, key: value(row, index, numeric), position: position };
    });
    keyed.sort(function (a, b) {
      if (a.key === null || b.key === null) {
        if (a.key === b.key) { return a.position - b.position; }
        return a.key === null ? 1 : -1;
      }
      var order = numeric ? a.key - b.key : String(a.key).localeCompare(String(b.key));
      if (order === 0) { return a.position - b.position; }
      return ascending ? order : -order;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
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
