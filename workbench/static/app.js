// nianbao workbench: the only script (served from the app's origin; no inline handlers).
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input.pick").forEach(function (cb) { cb.checked = all.checked; });
    });
  }
  var bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", function (ev) {
      var scope = bulk.querySelector("input[name=scope]:checked");
      if (scope && scope.value === "filtered" &&
          !window.confirm("将把当前筛选出的全部问题设为所选结论，确定吗？")) {
        ev.preventDefault();
      }
    });
  }
});

// Sortable tables: click a column header of any table.data to sort by it (again to reverse).
document.addEventListener("DOMContentLoaded", function () {
  function key(cell) {
    var text = (cell ? (cell.getAttribute("data-sort") || cell.textContent) : "").trim();
    var num = parseFloat(text.replace(/[,%＋+]/g, ""));
    return isNaN(num) || !/^[-+＋]?[\d.,]+%?$/.test(text) ? { n: false, v: text } : { n: true, v: num };
  }
  document.querySelectorAll("table.data").forEach(function (table) {
    var head = table.tHead;
    var body = table.tBodies[0];
    if (!head || !body || head.rows.length !== 1) { return; }
    Array.prototype.forEach.call(head.rows[0].cells, function (th, col) {
      if (th.classList.contains("cb")) { return; }
      th.classList.add("sortable");
      th.title = "点击排序";
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > col; });
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          var c = x.n && y.n ? x.v - y.v : x.n ? -1 : y.n ? 1 : x.v.localeCompare(y.v, "zh-CN");
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
});
