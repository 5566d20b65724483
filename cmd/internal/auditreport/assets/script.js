(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var sevBoxes = Array.prototype.slice.call(document.querySelectorAll("input[data-sev-filter]"));
    var kindSel = document.getElementById("kind-filter");
    var nsSel = document.getElementById("ns-filter");
    var search = document.getElementById("text-filter");
    var shown = document.getElementById("shown-count");
    var apply = function () {
      var sevs = {};
      sevBoxes.forEach(function (b) { sevs[b.getAttribute("data-sev-filter")] = b.checked; });
      var kind = kindSel ? kindSel.value : "";
      var ns = nsSel ? nsSel.value : "";
      var q = search ? search.value.trim().toLowerCase() : "";
      var n = 0;
      rows.forEach(function (r) {
        var ok = sevs[r.getAttribute("data-sev")] !== false &&
          (!kind || r.getAttribute("data-kind") === kind) &&
          (!ns || r.getAttribute("data-ns") === ns) &&
          (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
        r.hidden = !ok;
        if (ok) { n++; }
      });
      if (shown) { shown.textContent = String(n); }
    };
    sevBoxes.forEach(function (b) { b.addEventListener("change", apply); });
    [kindSel, nsSel].forEach(function (s) { if (s) { s.addEventListener("change", apply); } });
    if (search) { search.addEventListener("input", apply); }
    apply();
  }
  // Opening a namespace from a link (heatmap, graph, tables).
  var openTarget = function () {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) { return; }
    var el = document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; }
  };
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
document.documentElement.setAttribute("data-ready", "1");
