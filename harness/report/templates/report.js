(function () {
  "use strict";
  var table = document.getElementById("cases");
  var $ = function (id) { return document.getElementById(id); };
  function bodies() { return Array.prototype.slice.call(table.tBodies); }
  function words(s) { return (s || "").split(" ").filter(Boolean); }
  function apply() {
    var bad = $("f-bad").checked, scorer = $("f-scorer").value, style = $("f-style").value;
    var outcome = $("f-outcome").value, text = $("f-text").value.trim().toLowerCase(), shown = 0;
    bodies().forEach(function (b) {
      var d = b.dataset;
      var ok = (!bad || d.bad === "1") && (!scorer || words(d.scorers).indexOf(scorer) >= 0) &&
        (!style || d.style === style) && (!outcome || words(d.outcomes).indexOf(outcome) >= 0) &&
        (!text || d.search.indexOf(text) >= 0);
      b.hidden = !ok;
      if (ok) { shown++; }
    });
    $("shown").textContent = shown;
  }
  function value(b, key) { return JSON.parse(b.dataset.sort)[key]; }
  function compare(x, y) {
    var ex = x === "" || x === null || x === undefined, ey = y === "" || y === null || y === undefined;
    if (ex || ey) { return ex === ey ? 0 : ex ? 1 : -1; }
    var nx = Number(x), ny = Number(y);
    if (!isNaN(nx) && !isNaN(ny)) { return nx - ny; }
    return String(x).localeCompare(String(y));
  }
  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-key]"), function (th) {
    th.addEventListener("click", function () {
      var key = th.dataset.key, dir = th.dataset.dir === "asc" ? "desc" : "asc";
      Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (h) { delete h.dataset.dir; });
      th.dataset.dir = dir;
      var rows = bodies();
      rows.sort(function (p, q) {
        var vp = value(p, key), vq = value(q, key), c = compare(vp, vq);
        var empty = (vp === "" || vp === null) !== (vq === "" || vq === null);
        return empty ? c : (dir === "asc" ? c : -c);
      });
      rows.forEach(function (b) { table.appendChild(b); });
    });
  });
  table.addEventListener("click", function (ev) {
    var button = ev.target.closest("button.toggle");
    if (!button) { return; }
    var detail = button.closest("tbody").querySelector("tr.detail");
    detail.hidden = !detail.hidden;
    button.textContent = detail.hidden ? "more" : "less";
  });
  ["f-bad", "f-scorer", "f-style", "f-outcome", "f-text"].forEach(function (id) {
    $(id).addEventListener("input", apply);
    $(id).addEventListener("change", apply);
  });
  apply();
})();
