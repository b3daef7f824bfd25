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
