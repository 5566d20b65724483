(function () {
  "use strict";
  // The report's data is one JSON blob; everything below renders parts of
  // it on demand, so that a large cluster's page stays small and quick.
  // A large blob comes gzipped and base64-encoded as one JSON string,
  // unpacked by the browser's own DecompressionStream.
  var raw = JSON.parse(document.getElementById("report-data").textContent);
  var ready = function (D) {
    start(D);
    document.documentElement.setAttribute("data-ready", "1");
  };
  var fail = function (why) {
    var p = document.createElement("p");
    p.className = "card";
    p.textContent = "This report could not be unpacked (" + why + "); open it in a current browser, or use the JSON or Markdown report.";
    document.querySelector("main").prepend(p);
  };
  if (typeof raw !== "string") {
    ready(raw);
  } else if (!window.DecompressionStream) {
    fail("the browser has no DecompressionStream");
  } else {
    var bin = atob(raw), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
      .then(function (t) { ready(JSON.parse(t)); }, function (e) { fail(String(e)); });
  }

  function start(D) {
  var $ = function (id) { return document.getElementById(id); };
  var esc = function (s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  };
  // num writes 1234567 as "1,234,567" (toLocaleString is slow enough to
  // show in a profile when called for thousands of titles).
  var num = function (n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); };
  var nsLink = function (i) {
    var n = D.ns[i].n;
    return '<a href="#ns-' + encodeURIComponent(n) + '" data-ns-link="' + esc(n) + '">' + esc(n) + "</a>";
  };
  var nsName = function (i) { return D.ns[i].n; };
  var debounce = function (fn, ms) {
    var t = 0;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  };
  var timings = window.__netreachTimings = [];
  // timed runs an interaction and records how long it took, layout
  // included: the browser test reads the figures.
  var timed = function (what, fn) {
    var t0 = performance.now();
    fn();
    var t1 = performance.now();
    void document.body.offsetHeight;
    var t2 = performance.now();
    timings.push({ what: what, ms: t2 - t0, script: t1 - t0, layout: t2 - t1 });
  };

  // ---- groups: tenants, then shared namespaces, then no tenant ----
  var groups = D.tenants.map(function (t) { return { name: "tenant " + t, ns: [] }; });
  var SHARED = groups.length, NONE = groups.length + 1;
  groups.push({ name: "shared", ns: [] }, { name: "no tenant", ns: [] });
  var groupOf = D.ns.map(function (ns, i) {
    var g = ns.sh ? SHARED : (ns.t >= 0 ? ns.t : NONE);
    groups[g].ns.push(i);
    return g;
  });
  groups = groups.filter(function (g) { return g.ns.length > 0; });
  groupOf = new Array(D.ns.length);
  groups.forEach(function (g, k) { g.ns.forEach(function (i) { groupOf[i] = k; }); });
  var relation = function (i, j) {
    if (i === j) { return "self"; }
    var a = D.ns[i], b = D.ns[j];
    if (a.sh || b.sh) { return "shared"; }
    if (a.t >= 0 && b.t >= 0 && a.t !== b.t) { return "cross"; }
    return "same";
  };
  var relText = { self: "inside the namespace", same: "same tenant or no tenant", shared: "with a shared namespace", cross: "cross-tenant", mixed: "" };
  // Inbound flows, transposed once.
  var inbound = D.ns.map(function () { return []; });
  D.flows.forEach(function (row, i) {
    for (var k = 0; k < row.length; k += 2) { inbound[row[k]].push(i, row[k + 1]); }
  });
  var possible = function (i, j) {
    var a = D.ns[i].pods, b = D.ns[j].pods;
    return i === j ? a * (a - 1) : a * b;
  };

  // ---- findings ----
  var PAGE = 50;
  var sevOn = D.sev.map(function () { return true; });
  var hay = D.findings.map(function (f) {
    var k = D.kinds[f.k];
    return [k.id, k.kind, k.title, f.st || "", f.n >= 0 ? nsName(f.n) : "", (f.ns || []).map(nsName).join(" "), f.m, f.r, f.w || "", (f.o || []).map(function (k) { return D.objects[k]; }).join(" "), (f.e || []).join(" ")].join("\n").toLowerCase();
  });
  var matched = [], shownRows = 0, printing = false, onlyList = null;
  var tbody = document.querySelector("#findings-table tbody");
  var kindSel = $("kind-filter"), nsSel = $("ns-filter"), search = $("text-filter");
  var sevBox = $("sev-filters");
  sevBox.innerHTML = D.sev.map(function (s, i) {
    var n = D.findings.filter(function (f) { return f.s === i; }).length;
    return '<label class="chip"><input type="checkbox" data-sev-filter="' + s + '" checked><span class="dot sev-' + s + '" aria-hidden="true"></span>' + s + " (" + n + ")</label>";
  }).join("");
  var sevBoxes = Array.prototype.slice.call(sevBox.querySelectorAll("input"));
  var kindCount = D.kinds.map(function () { return 0; });
  var nsCount = D.ns.map(function () { return 0; });
  D.findings.forEach(function (f) {
    kindCount[f.k]++;
    if (f.n >= 0) { nsCount[f.n]++; }
    (f.ns || []).forEach(function (i) { nsCount[i]++; });
  });
  kindSel.insertAdjacentHTML("beforeend", D.kinds.map(function (k, i) {
    return '<option value="' + i + '">' + esc(k.id + " " + k.title) + " (" + kindCount[i] + ")</option>";
  }).join(""));
  nsSel.insertAdjacentHTML("beforeend", D.ns.map(function (ns, i) {
    return nsCount[i] ? '<option value="' + i + '">' + esc(ns.n) + " (" + nsCount[i] + ")</option>" : "";
  }).join(""));

  // findingMore is the body of a finding's details, rendered when opened
  // (and for print).
  var findingMore = function (i) {
    var f = D.findings[i], body = "";
    if (f.m.length > CLIP) { body += "<p>" + esc(f.m) + "</p>"; }
    if (f.e && f.e.length) { body += "<ul>" + f.e.map(function (e) { return '<li class="mono">' + esc(e) + "</li>"; }).join("") + "</ul>"; }
    if (f.o && f.o.length) {
      body += "<ul>" + f.o.map(function (k) { return "<li>" + esc(D.objects[k]) + "</li>"; }).join("");
      if (f.om) { body += "<li>… and " + f.om + " more (all are in the JSON report)</li>"; }
      body += "</ul>";
    }
    (f.x || []).forEach(function (x) { body += '<div class="section"><div class="h4">' + esc(x.t) + "</div><pre>" + esc(D.texts[x.v]) + "</pre></div>"; });
    return body;
  };
  tbody.addEventListener("toggle", function (e) {
    var d = e.target;
    if (d.open && d.hasAttribute && d.hasAttribute("data-f") && d.children.length === 1) {
      d.insertAdjacentHTML("beforeend", findingMore(+d.getAttribute("data-f")));
    }
  }, true);
  // A long message (a cross-tenant finding lists its namespace pairs) is
  // cut in the row and given whole in the details: rows lay out faster.
  var CLIP = 320;
  var findingRow = function (i) {
    var f = D.findings[i], k = D.kinds[f.k], s = D.sev[f.s];
    var where = f.w || "", slash = where.lastIndexOf("/");
    var more = [];
    if (f.m.length > CLIP) { more.push("the whole message"); }
    if (f.e && f.e.length) { more.push(f.e.length + (f.e.length === 1 ? " sample flow" : " sample flows")); }
    var nObj = (f.o ? f.o.length : 0) + (f.om || 0);
    if (nObj) { more.push(nObj + (nObj === 1 ? " object" : " objects")); }
    (f.x || []).forEach(function (x) { more.push(x.t); });
    var body = more.length ? '<details class="more" data-f="' + i + '"' + (printing ? " open" : "") + "><summary>" + esc(more.join(", ")) + "</summary>" + (printing ? findingMore(i) : "") + "</details>" : "";
    return '<tr data-sev="' + s + '" data-kind="' + esc(k.kind) + '" data-ns="' + (f.n >= 0 ? esc(nsName(f.n)) : "") + '" id="finding-' + i + '">' +
      '<td><span class="badge sev-' + s + '">' + s + "</span></td>" +
      '<td class="id">' + esc(k.id) + (f.st === "new" ? ' <span class="tag no">new</span>' : "") + "</td>" +
      '<td class="msg"><div class="kind">' + esc(k.title) + (f.n >= 0 ? " · " + nsLink(f.n) : "") + "</div>" + esc(f.m.length > CLIP ? f.m.slice(0, CLIP - 20) + "…" : f.m) + body + "</td>" +
      '<td class="where">' + (slash >= 0 ? '<span class="dir">' + esc(where.slice(0, slash + 1)) + "</span>" : "") + '<span class="file">' + esc(where.slice(slash + 1)) + "</span></td>" +
      '<td class="rem">' + esc(f.r) + "</td></tr>";
  };
  var renderFindings = function (upTo) {
    var html = [];
    for (var i = shownRows; i < Math.min(upTo, matched.length); i++) { html.push(findingRow(matched[i])); }
    tbody.insertAdjacentHTML("beforeend", html.join(""));
    shownRows = Math.min(upTo, matched.length);
    $("findings-more").hidden = shownRows >= matched.length;
    $("findings-more").textContent = "Show " + Math.min(PAGE * 2, matched.length - shownRows) + " more of " + (matched.length - shownRows);
  };
  var applyFindings = function () {
    var kind = kindSel.value === "" ? -1 : +kindSel.value;
    var ns = nsSel.value === "" ? -1 : +nsSel.value;
    var q = search.value.trim().toLowerCase();
    matched = [];
    for (var i = 0; i < D.findings.length; i++) {
      var f = D.findings[i];
      if (onlyList && !onlyList[i]) { continue; }
      if (!sevOn[f.s] || (kind >= 0 && f.k !== kind) || (ns >= 0 && f.n !== ns && !(f.ns && f.ns.indexOf(ns) >= 0)) || (q && hay[i].indexOf(q) < 0)) { continue; }
      matched.push(i);
    }
    tbody.textContent = "";
    shownRows = 0;
    renderFindings(printing ? matched.length : PAGE);
    $("shown-count").textContent = String(matched.length);
    $("findings-empty").hidden = matched.length > 0;
    document.querySelectorAll("[data-sev-card]").forEach(function (c) {
      var i = D.sev.indexOf(c.getAttribute("data-sev-card"));
      var only = sevOn.filter(Boolean).length === 1 && sevOn[i];
      c.setAttribute("aria-pressed", only ? "true" : "false");
    });
  };
  var setSev = function (fn) {
    D.sev.forEach(function (s, i) { sevOn[i] = fn(i); });
    sevBoxes.forEach(function (b, i) { b.checked = sevOn[i]; });
  };
  sevBoxes.forEach(function (b, i) {
    b.addEventListener("change", function () { sevOn[i] = b.checked; timed("severity filter", applyFindings); });
  });
  [kindSel, nsSel].forEach(function (s) { s.addEventListener("change", function () { timed("select filter", applyFindings); }); });
  search.addEventListener("input", debounce(function () { timed("search", applyFindings); }, 60));
  $("findings-more").addEventListener("click", function () { timed("more findings", function () { renderFindings(shownRows + PAGE * 2); }); });
  $("clear-filters").addEventListener("click", function () {
    onlyList = null; setSev(function () { return true; });
    kindSel.value = ""; nsSel.value = ""; search.value = "";
    timed("clear filters", applyFindings);
  });
  document.querySelectorAll("[data-sev-card]").forEach(function (c) {
    c.addEventListener("click", function () {
      var i = D.sev.indexOf(c.getAttribute("data-sev-card"));
      var only = c.getAttribute("aria-pressed") === "true";
      onlyList = null;
      setSev(function (k) { return only || k === i; });
      timed("severity card", applyFindings);
      $("findings").scrollIntoView();
    });
  });
  // showFindings lists exactly the given findings (a top risk's).
  var showFindings = function (list) {
    onlyList = {};
    list.forEach(function (i) { onlyList[i] = true; });
    setSev(function () { return true; });
    kindSel.value = ""; nsSel.value = ""; search.value = "";
    timed("risk filter", applyFindings);
    $("findings").scrollIntoView();
  };

  // ---- top risks ----
  var risks = D.risks;
  if (!risks || !risks.length) {
    // A report without ranked risks: one entry per kind with serious
    // findings, most serious and most frequent first.
    var byKind = {};
    D.findings.forEach(function (f, i) {
      if (f.s > 2) { return; }
      var key = f.s + ":" + f.k;
      (byKind[key] = byKind[key] || { s: f.s, k: f.k, f: [] }).f.push(i);
    });
    risks = Object.keys(byKind).map(function (k) { return byKind[k]; }).sort(function (a, b) {
      return a.s - b.s || b.f.length - a.f.length || a.k - b.k;
    }).slice(0, 10).map(function (r, n) {
      var k = D.kinds[r.k];
      return { rank: n + 1, s: r.s, title: k.title, kind: k.kind, affected: "", scope: "", f: r.f };
    });
  }
  $("risk-list").innerHTML = risks.length ? risks.slice(0, 10).map(function (r) {
    var s = D.sev[r.s];
    return '<li><span class="badge sev-' + s + '">' + s + '</span> <button type="button" class="linkish" data-risk="' + (r.rank - 1) + '">' + esc(r.title) + "</button>" +
      ' <span class="muted-inline">' + esc([r.affected, r.scope, ""].filter(Boolean).join(" · ")).replace(/(.)$/, "$1 · ") + r.f.length + (r.f.length === 1 ? " finding" : " findings") + "</span></li>";
  }).join("") : '<li class="empty">No risks of medium severity or above.</li>';
  $("risk-list").addEventListener("click", function (e) {
    var b = e.target.closest("[data-risk]");
    if (b) { showFindings(risks[+b.getAttribute("data-risk")].f); }
  });

  // ---- verified fixes ----
  if (D.fixes) {
    $("fixes").hidden = false;
    $("fixes-link").hidden = false;
    if (D.fixesDir) { $("fixes-dir").innerHTML = "Patches written to <code>" + esc(D.fixesDir) + "</code>, one file per fix."; }
    var fixRows = function (all) {
      var list = all ? D.fixes : D.fixes.slice(0, 20);
      $("fix-table").querySelector("tbody").innerHTML = list.length ? list.map(function (fx, k) {
        return "<tr><td class=\"mono\">" + esc(fx.id) + '</td><td><button type="button" class="linkish" data-fix="' + k + '">' + esc(fx.title) + "</button> (" + fx.f.length + (fx.f.length === 1 ? " finding" : " findings") + ")</td>" +
          "<td>" + (fx.verified ? num(fx.closes) + " pod pairs" : "not verified") + "</td><td>" + (fx.verified ? num(fx.opens) + " pod pairs" : "") + "</td>" +
          "<td>" + (fx.breaks ? '<span class="tag no">breaks ' + fx.breaks + "</span>" : (fx.verified ? "none broken" : "")) + "</td></tr>";
      }).join("") : '<tr><td colspan="5" class="empty">No finding has a mechanical fix.</td></tr>';
      $("fixes-more").hidden = all || D.fixes.length <= 20;
    };
    fixRows(false);
    $("fixes-more").addEventListener("click", function () { timed("all fixes", function () { fixRows(true); }); });
    $("fix-table").addEventListener("click", function (e) {
      var b = e.target.closest("[data-fix]");
      if (b) { showFindings(D.fixes[+b.getAttribute("data-fix")].f); }
    });
  }

  // ---- tenant matrix with drill-down ----
  var hmMode = "count", hmLevel = { level: 0 };
  var scaleColors = [1, 2, 3, 4, 5, 6].map(function (k) { return "var(--scale-" + k + ")"; });
  // bins returns 6 upper bounds on a log scale of max.
  var bins = function (max) {
    var out = [];
    for (var k = 1; k <= 6; k++) { out.push(hmMode === "share" ? k / 6 : Math.max(k, Math.round(Math.pow(max, k / 6)))); }
    return out;
  };
  var binOf = function (v, b) {
    if (!(v > 0)) { return -1; }
    for (var k = 0; k < b.length; k++) { if (v <= b[k]) { return k; } }
    return b.length - 1;
  };
  var fmt = function (v) {
    if (hmMode === "share") { return v > 0 && v < 0.01 ? "<1%" : Math.round(v * 100) + "%"; }
    return v >= 10000 ? (v / 1000).toFixed(v >= 100000 ? 0 : 1) + "k" : String(v);
  };
  var drawMatrix = function (rows, cols, cell, caption, drill) {
    // cell(r, c) returns {count, possible, rel, title}.
    var vals = [], max = 0;
    rows.forEach(function (r, a) {
      vals[a] = cols.map(function (c) {
        var x = cell(r, c);
        x.v = hmMode === "share" ? (x.possible ? x.count / x.possible : 0) : x.count;
        max = Math.max(max, x.v);
        return x;
      });
    });
    var b = bins(max);
    var h = ['<table class="matrix" role="grid" aria-describedby="hm-help"><caption>' + esc(caption) + '</caption><thead><tr><th scope="col"><span class="sr">from \\ to</span></th>'];
    cols.forEach(function (c) { h.push('<th scope="col"><span class="vert">' + esc(c.label) + "</span></th>"); });
    h.push("</tr></thead><tbody>");
    rows.forEach(function (r, a) {
      h.push('<tr><th scope="row">' + esc(r.label) + "</th>");
      vals[a].forEach(function (x, c) {
        var k = binOf(x.v, b);
        h.push('<td role="gridcell" class="mc s' + (k + 1) + " rel-" + x.rel + '" data-r="' + a + '" data-c="' + c + '" tabindex="' + (a + c === 0 ? 0 : -1) + '">' + (x.count ? fmt(x.v) : "·") + "</td>");
      });
      h.push("</tr>");
    });
    h.push("</tbody></table>");
    $("hm-box").innerHTML = h.join("");
    hm = { rows: rows, cols: cols, vals: vals, drill: drill };
    var lo = 1;
    $("hm-scale").innerHTML = '<span class="scale-title">' + (hmMode === "share" ? "share of possible pod pairs:" : "pod pairs:") + "</span>" +
      '<span><span class="sw-box" style="background:var(--scale-0)"></span>none (·)</span>' +
      b.map(function (hi, k) {
        var text = hmMode === "share" ? Math.round(k * 100 / 6) + "–" + Math.round(hi * 100) + "%" : (lo === hi ? String(hi) : lo + "–" + hi);
        lo = hi + 1;
        return '<span><span class="sw-box" style="background:' + scaleColors[k] + '"></span>' + text + "</span>";
      }).join("") +
      '<span><span class="sw-box rel-cross-sw"></span>dashed outline: cross-tenant</span><span><span class="sw-box rel-shared-sw"></span>dotted outline: shared namespace</span>';
  };
  // The matrix is one keyboard stop: arrow keys move between squares,
  // Enter drills down; a square's numbers show below it when it has the
  // focus, and as a tooltip under the mouse.
  var hm = null;
  var cellOf = function (t) { return t && t.closest ? t.closest("td.mc") : null; };
  var cellTitle = function (t) { return hm.vals[+t.getAttribute("data-r")][+t.getAttribute("data-c")].title; };
  var box = $("hm-box");
  box.addEventListener("focusin", function (e) {
    var t = cellOf(e.target);
    if (t) { $("hm-detail").textContent = cellTitle(t); }
  });
  box.addEventListener("mouseover", function (e) {
    var t = cellOf(e.target);
    if (t && !t.title) { t.title = cellTitle(t); }
  });
  var drillAt = function (t) {
    if (hm.drill) { hm.drill(hm.rows[+t.getAttribute("data-r")], hm.cols[+t.getAttribute("data-c")]); }
    var first = $("hm-box").querySelector("td.mc");
    if (first) { first.focus(); }
  };
  box.addEventListener("click", function (e) { var t = cellOf(e.target); if (t) { drillAt(t); } });
  box.addEventListener("keydown", function (e) {
    var t = cellOf(e.target);
    if (!t) { return; }
    var r = +t.getAttribute("data-r"), c = +t.getAttribute("data-c");
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Home: [0, -c], End: [0, hm.cols.length] };
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); drillAt(t); return; }
    var m = moves[e.key];
    if (!m) { return; }
    e.preventDefault();
    r = Math.max(0, Math.min(hm.rows.length - 1, r + m[0]));
    c = Math.max(0, Math.min(hm.cols.length - 1, c + m[1]));
    var next = box.querySelector('td.mc[data-r="' + r + '"][data-c="' + c + '"]');
    if (next) { t.tabIndex = -1; next.tabIndex = 0; next.focus(); }
  });
  var crumbs = function () {
    var c = ['<button type="button" class="linkish" data-level="0">all groups</button>'];
    if (hmLevel.level >= 1) { c.push('<button type="button" class="linkish" data-level="1">' + esc(entries()[hmLevel.a].name + " → " + entries()[hmLevel.b].name) + "</button>"); }
    if (hmLevel.level >= 2) { c.push("<span>" + esc(nsName(hmLevel.i) + " → " + nsName(hmLevel.j)) + "</span>"); }
    $("hm-crumbs").innerHTML = c.join(" › ");
  };
  // Group-to-group sums, computed once: pod pairs and possible pairs.
  var groupFlows = null;
  var groupSums = function (a, b) {
    if (!groupFlows) {
      var G = groups.length;
      groupFlows = new Float64Array(G * G);
      D.flows.forEach(function (row, i) {
        var base = groupOf[i] * G;
        for (var k = 0; k < row.length; k += 2) { groupFlows[base + groupOf[row[k]]] += row[k + 1]; }
      });
      groups.forEach(function (g) { g.pods = 0; g.ns.forEach(function (i) { g.pods += D.ns[i].pods; }); });
    }
    var pa = groups[a].pods, pb = groups[b].pods;
    return { count: groupFlows[a * groups.length + b], possible: a === b ? pa * (pa - 1) : pa * pb };
  };
  var flowAt = function (i, j) {
    var row = D.flows[i];
    for (var k = 0; k < row.length; k += 2) { if (row[k] === j) { return row[k + 1]; } }
    return 0;
  };
  // The top level shows at most MAXGROUPS groups: the ones that exchange
  // the most pod pairs with other groups, and the rest as one "other
  // groups" entry; a namespace level shows at most MAXNS namespaces a
  // side, those with the most pod pairs in the pair. The captions say
  // what is left out.
  var MAXGROUPS = 24, MAXNS = 40;
  var topEntries = null;
  var entries = function () {
    if (topEntries) { return topEntries; }
    groupSums(0, 0);
    var G = groups.length, vol = groups.map(function () { return 0; });
    for (var a = 0; a < G; a++) { for (var b = 0; b < G; b++) { if (a !== b) { vol[a] += groupFlows[a * G + b]; vol[b] += groupFlows[a * G + b]; } } }
    var order = groups.map(function (_, k) { return k; });
    if (G > MAXGROUPS) { order.sort(function (x, y) { return vol[y] - vol[x] || x - y; }); }
    var keep = order.slice(0, G > MAXGROUPS ? MAXGROUPS - 1 : G).sort(function (x, y) { return x - y; });
    topEntries = keep.map(function (k) { return { label: groups[k].name + " (" + groups[k].ns.length + ")", name: groups[k].name, members: [k] }; });
    var rest = order.slice(keep.length);
    if (rest.length) {
      var n = 0;
      rest.forEach(function (k) { n += groups[k].ns.length; });
      topEntries.push({ label: "other groups (" + rest.length + " groups, " + n + " namespaces)", name: "other groups", members: rest.sort(function (x, y) { return x - y; }) });
    }
    topEntries.forEach(function (t) {
      t.ns = [];
      t.members.forEach(function (k) { t.ns = t.ns.concat(groups[k].ns); });
      t.tenant = t.members.length === 1 && groups[t.members[0]].name.indexOf("tenant ") === 0;
    });
    return topEntries;
  };
  var entrySums = function (x, y) {
    var count = 0, pods = function (t) { var p = 0; t.members.forEach(function (k) { p += groups[k].pods; }); return p; };
    x.members.forEach(function (a) { y.members.forEach(function (b) { count += groupFlows[a * groups.length + b]; }); });
    var pa = pods(x), pb = pods(y);
    return { count: count, possible: x === y ? pa * (pa - 1) : pa * pb };
  };
  var drawLevel = function () {
    crumbs();
    $("hm-detail").textContent = "";
    var es = entries();
    if (hmLevel.level === 0) {
      drawMatrix(es, es, function (r, c) {
        var s = entrySums(r, c);
        var rel = r === c ? (r.members.length > 1 ? "mixed" : "same") : (r.tenant && c.tenant ? "cross" : (r.name === "shared" || c.name === "shared" ? "shared" : "mixed"));
        s.rel = rel;
        s.title = r.name + " → " + c.name + ": " + num(s.count) + " of " + num(s.possible) + " pod pairs allowed" + (s.count && relText[rel] ? ", " + relText[rel] : "") + ". Enter shows its namespaces.";
        return s;
      }, "Groups of namespaces (rows: from, columns: to)" + (groups.length > es.length ? "; the " + (es.length - 1) + " groups with the most pod pairs to and from other groups, the other " + (groups.length - es.length + 1) + " together" : ""), function (r, c) {
        hmLevel = { level: 1, a: es.indexOf(r), b: es.indexOf(c) };
        timed("matrix drill-down", drawLevel);
      });
    } else if (hmLevel.level === 1) {
      var ea = es[hmLevel.a], eb = es[hmLevel.b];
      var rowsN = ea.ns, colsN = eb.ns;
      var inCols = {};
      colsN.forEach(function (j) { inCols[j] = true; });
      var rowW = {}, colW = {};
      rowsN.forEach(function (i) {
        var row = D.flows[i];
        for (var k = 0; k < row.length; k += 2) { if (inCols[row[k]]) { rowW[i] = (rowW[i] || 0) + row[k + 1]; colW[row[k]] = (colW[row[k]] || 0) + row[k + 1]; } }
      });
      var pick = function (list, w) {
        var has = list.filter(function (i) { return w[i]; });
        if (has.length <= MAXNS) { return has; }
        return has.slice().sort(function (x, y) { return w[y] - w[x] || x - y; }).slice(0, MAXNS).sort(function (x, y) { return x - y; });
      };
      var rs = pick(rowsN, rowW), cs = pick(colsN, colW);
      var left = (rowsN.length - rs.length) + (colsN.length - cs.length);
      drawMatrix(rs.map(function (i) { return { label: nsName(i), i: i }; }), cs.map(function (j) { return { label: nsName(j), i: j }; }), function (r, c) {
        var n = flowAt(r.i, c.i), rel = relation(r.i, c.i);
        return { count: n, possible: possible(r.i, c.i), rel: rel, title: nsName(r.i) + " → " + nsName(c.i) + ": " + num(n) + " of " + num(possible(r.i, c.i)) + " pod pairs allowed" + (n ? ", " + relText[rel] + ". Enter shows its workloads." : "") };
      }, "Namespaces of " + ea.name + " → " + eb.name + (left ? " (" + left + " namespaces are left out: those without flows here" + (rs.length === MAXNS || cs.length === MAXNS ? ", and beyond the " + MAXNS + " with the most pod pairs a side; search the namespaces below for them" : "") + ")" : ""), function (r, c) {
        hmLevel = { level: 2, a: hmLevel.a, b: hmLevel.b, i: r.i, j: c.i };
        timed("matrix drill-down", drawLevel);
      });
      if (!rs.length) { $("hm-box").innerHTML = '<p class="empty">No allowed flow from ' + esc(ea.name) + " to " + esc(eb.name) + ".</p>"; }
    } else {
      drawWorkloads(hmLevel.i, hmLevel.j);
    }
  };
  var wlByPair = null;
  var drawWorkloads = function (i, j) {
    if (!wlByPair) {
      wlByPair = {};
      D.wlFlows.forEach(function (f) {
        var key = D.wl[f[0]].n + ">" + D.wl[f[1]].n;
        (wlByPair[key] = wlByPair[key] || []).push(f);
      });
    }
    var list = (wlByPair[i + ">" + j] || []).slice().sort(function (a, b) { return b[2] - a[2]; });
    var held = D.wlComplete || (D.wlPairs || []).some(function (p) { return p[0] === i && p[1] === j; });
    var h = ['<table class="wl"><caption>Workloads: ' + esc(nsName(i)) + " → " + esc(nsName(j)) + " (" + num(flowAt(i, j)) + ' pod pairs)</caption><thead><tr><th scope="col">from workload</th><th scope="col">to workload</th><th scope="col">pod pairs</th><th scope="col">share</th></tr></thead><tbody>'];
    list.slice(0, 300).forEach(function (f) {
      var a = D.wl[f[0]], b = D.wl[f[1]], poss = f[0] === f[1] ? a.c * (a.c - 1) : a.c * b.c;
      h.push("<tr><td>" + esc(a.w) + " (" + a.c + ")</td><td>" + esc(b.w) + " (" + b.c + ")</td><td>" + num(f[2]) + "</td><td>" + (poss ? Math.round(100 * f[2] / poss) + "%" : "") + "</td></tr>");
    });
    h.push("</tbody></table>");
    if (list.length > 300) { h.push('<p class="small">The 300 largest of ' + list.length + " workload pairs.</p>"); }
    if (!held) {
      h.push('<p class="small">' + esc(D.wlNote || "") + " List this pair with: <code>netreach matrix -f " + esc(D.inputs) + " --by workload -n " + esc(nsName(i)) + " -n " + esc(nsName(j)) + "</code></p>");
    } else if (!list.length) {
      h.push('<p class="empty">No workload of ' + esc(nsName(i)) + " can connect to one of " + esc(nsName(j)) + ".</p>");
    }
    $("hm-box").innerHTML = h.join("");
    $("hm-scale").innerHTML = "";
  };
  $("hm-crumbs").addEventListener("click", function (e) {
    var b = e.target.closest("[data-level]");
    if (!b) { return; }
    hmLevel.level = +b.getAttribute("data-level");
    timed("matrix level", drawLevel);
  });
  document.querySelectorAll('input[name="hm-mode"]').forEach(function (r) {
    r.addEventListener("change", function () { hmMode = r.value; timed("matrix mode", drawLevel); });
  });

  // ---- graph ----
  var tenantColors = ["#3b5bdb", "#2b8a3e", "#7048e8", "#a05a00", "#c2255c", "#0b7285", "#6b4f2a", "#5c7a0f", "#c92a2a", "#4c5fd5"];
  var groupColor = function (k) {
    var g = groups[k].name;
    if (g === "shared") { return "#ffffff"; }
    if (g === "no tenant") { return "#64748b"; }
    return tenantColors[k % tenantColors.length];
  };
  var edgeStyle = { same: ["#475569", ""], cross: ["#b91c1c", "7 4"], shared: ["#0f766e", "2 3"], out: ["#c2410c", "8 3 2 3"], self: ["#475569", ""] };
  var view = $("graph-view"), nsInput = $("graph-ns");
  var opts = [];
  if (D.ns.length <= 60) { opts.push(["all", "all namespaces"]); }
  opts.push(["cross", "cross-tenant edges only (tenants)"]);
  groups.forEach(function (g, k) { opts.push(["group:" + k, "focus: " + g.name + " (" + g.ns.length + " namespaces)"]); });
  view.innerHTML = opts.map(function (o) { return '<option value="' + esc(o[0]) + '">' + esc(o[1]) + "</option>"; }).join("") + '<option value="ns">focus: one namespace</option>';
  $("ns-names").innerHTML = D.ns.map(function (ns) { return '<option value="' + esc(ns.n) + '">'; }).join("");
  var focusNs = -1;
  var byName = {};
  D.ns.forEach(function (ns, i) { byName[ns.n] = i; });
  var critical = function (i) { return D.ns[i].sev[0] > 0; };
  // drawGraph draws nodes ({label, sub, color, dash, detail, x, y, r}) and
  // edges ({a, b, w, rel, title}) into the graph box.
  var drawGraph = function (nodes, edges, W, H, note) {
    var maxW = 1;
    edges.forEach(function (e) { maxW = Math.max(maxW, e.w); });
    var s = ['<svg id="nsgraph" class="graph" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H + '" role="group" aria-label="Graph of allowed flows">'];
    s.push("<defs>");
    Object.keys(edgeStyle).forEach(function (k) {
      s.push('<marker id="arrow-' + k + '" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="' + edgeStyle[k][0] + '"/></marker>');
    });
    s.push('</defs><g class="edges" fill="none">');
    edges.forEach(function (e) {
      var a = nodes[e.a], b = nodes[e.b], st = edgeStyle[e.rel] || edgeStyle.same;
      var dx = b.x - a.x, dy = b.y - a.y, d = Math.hypot(dx, dy) || 1;
      var qx = (a.x + b.x) / 2 + dy / d * d * 0.15, qy = (a.y + b.y) / 2 - dx / d * d * 0.15;
      var t = function (p, r) { var l = Math.hypot(qx - p.x, qy - p.y) || 1; return [(p.x + (qx - p.x) / l * r).toFixed(1), (p.y + (qy - p.y) / l * r).toFixed(1)]; };
      var p0 = t(a, a.r + 2), p1 = t(b, b.r + 5);
      s.push('<path class="edge" d="M' + p0[0] + " " + p0[1] + "Q" + qx.toFixed(1) + " " + qy.toFixed(1) + " " + p1[0] + " " + p1[1] +
        '" stroke="' + st[0] + '" stroke-width="' + (1 + 3 * Math.log1p(e.w) / Math.log1p(maxW)).toFixed(1) + '" stroke-opacity="0.75"' +
        (st[1] ? ' stroke-dasharray="' + st[1] + '"' : "") + ' marker-end="url(#arrow-' + e.rel + ')"><title>' + esc(e.title) + "</title></path>");
    });
    s.push('</g><g class="nodes">');
    nodes.forEach(function (n, k) {
      var anchor = n.anchor || "middle";
      s.push('<g class="gnode" tabindex="0" role="button" data-node="' + k + '" aria-label="' + esc(n.detail) + '">' +
        '<circle class="node" cx="' + n.x.toFixed(1) + '" cy="' + n.y.toFixed(1) + '" r="' + n.r.toFixed(1) + '" fill="' + n.color + '" stroke="' + (n.color === "#ffffff" ? "#0f766e" : "#ffffff") + '" stroke-width="2"' + (n.dash ? ' stroke-dasharray="4 3"' : "") + "><title>" + esc(n.detail) + "</title></circle>" +
        '<text class="lbl" x="' + n.lx.toFixed(1) + '" y="' + n.ly.toFixed(1) + '" text-anchor="' + anchor + '">' + esc(n.label) + "</text></g>");
    });
    s.push("</g></svg>");
    $("graph-box").innerHTML = s.join("");
    graphNodes = nodes;
    $("graph-more").innerHTML = note || "";
  };
  var graphNodes = [];
  var showNode = function (e) {
    var g = e.target.closest && e.target.closest(".gnode");
    if (!g) { return; }
    var n = graphNodes[+g.getAttribute("data-node")];
    $("graph-detail").innerHTML = n.html || esc(n.detail);
    if (e.type !== "focusin" && n.go) { n.go(); }
  };
  $("graph-box").addEventListener("focusin", showNode);
  $("graph-box").addEventListener("click", showNode);
  $("graph-box").addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showNode(e); } });
  var ring = function (items, cx, cy, R, r) {
    items.forEach(function (n, k) {
      var ang = -Math.PI / 2 + 2 * Math.PI * k / Math.max(1, items.length);
      n.x = cx + R * Math.cos(ang); n.y = cy + R * Math.sin(ang); n.r = n.r || r;
      var c = Math.cos(ang);
      n.anchor = c > 0.2 ? "start" : (c < -0.2 ? "end" : "middle");
      n.lx = n.x + (n.r + 6) * Math.cos(ang); n.ly = n.y + (n.r + 6) * Math.sin(ang) + (Math.sin(ang) > 0.2 ? 10 : 4);
    });
  };
  var nsNode = function (i) {
    var ns = D.ns[i];
    return { label: ns.n, color: groupColor(groupOf[i]), dash: ns.sh, i: i,
      detail: ns.n + ": " + groups[groupOf[i]].name + ", " + ns.pods + " pods, " + ns.sev[0] + " critical and " + ns.sev[1] + " high findings",
      go: function () { focusNs = i; nsInput.value = ns.n; view.value = "ns"; timed("graph focus", drawGraphView); } };
  };
  var nodeHtml = function (n, ins, outs) {
    var list = function (xs) {
      return xs.length ? "<ul>" + xs.slice(0, 12).map(function (x) { return "<li>" + esc(x[0]) + ": " + num(x[1]) + " pod pairs" + (x[2] ? " (" + x[2] + ")" : "") + "</li>"; }).join("") + (xs.length > 12 ? "<li>… " + (xs.length - 12) + " more</li>" : "") + "</ul>" : '<p class="empty">none</p>';
    };
    return "<p><b>" + esc(n.detail) + "</b></p><div class=\"h4\">Outbound</div>" + list(outs) + '<div class="h4">Inbound</div>' + list(ins);
  };
  var MAXEDGES = 150;
  var drawGraphView = function () {
    var v = view.value;
    var W = 900, H = 640, cx = 450, cy = 320;
    if (v === "cross" || v === "all") {
      var members = v === "all" ? D.ns.map(function (_, i) { return [i]; }) : groups.map(function (g) { return g.ns; });
      var idx = {};
      members.forEach(function (m, k) { m.forEach(function (i) { idx[i] = k; }); });
      var nodes = members.map(function (m, k) {
        if (v === "all") { return nsNode(m[0]); }
        var g = groups[k];
        return { label: g.name, color: groupColor(k), dash: g.name === "shared", detail: g.name + ": " + g.ns.length + " namespaces", go: function () { view.value = "group:" + k; timed("graph focus", drawGraphView); } };
      });
      var maxPods = 1;
      var pods = members.map(function (m) { var p = 0; m.forEach(function (i) { p += D.ns[i].pods; }); maxPods = Math.max(maxPods, p); return p; });
      nodes.forEach(function (n, k) { n.r = 7 + 12 * Math.sqrt(pods[k] / maxPods); });
      ring(nodes, cx, cy, 240, 10);
      var acc = {};
      D.flows.forEach(function (row, i) {
        for (var k = 0; k < row.length; k += 2) {
          var j = row[k], a = idx[i], b = idx[j];
          if (a === b) { continue; }
          var rel = relation(i, j);
          if (v === "cross" && rel !== "cross") { continue; }
          var key = a + ">" + b;
          (acc[key] = acc[key] || { a: a, b: b, w: 0, rel: rel }).w += row[k + 1];
        }
      });
      var edges = Object.keys(acc).map(function (k) { var e = acc[k]; e.title = nodes[e.a].label + " → " + nodes[e.b].label + ": " + num(e.w) + " pod pairs (" + relText[e.rel] + ")"; return e; });
      edges.sort(function (x, y) { return y.w - x.w || x.a - y.a || x.b - y.b; });
      var allEdges = edges;
      edges = edges.slice(0, MAXEDGES);
      nodes.forEach(function (n, k) {
        var ins = [], outs = [];
        allEdges.forEach(function (e) { if (e.a === k) { outs.push([nodes[e.b].label, e.w, relText[e.rel]]); } if (e.b === k) { ins.push([nodes[e.a].label, e.w, relText[e.rel]]); } });
        outs.sort(function (x, y) { return y[1] - x[1]; }); ins.sort(function (x, y) { return y[1] - x[1]; });
        n.html = nodeHtml(n, ins, outs);
      });
      var capNote = allEdges.length > edges.length ? '<p class="small">The ' + edges.length + " largest of " + allEdges.length + " edges are drawn; a node's details (focus or choose it) list all of its flows.</p>" : "";
      drawGraph(nodes, edges, W, H, (v === "cross" ? '<p class="small">Only flows between namespaces of different tenants; choose a tenant to focus on it.</p>' : "") + capNote);
      return;
    }
    var center = [], peerW = {};
    if (v === "ns") {
      if (focusNs < 0) { focusNs = 0; }
      center = [focusNs];
    } else {
      center = groups[+v.slice(6)].ns;
    }
    var inCenter = {};
    center.forEach(function (i) { inCenter[i] = true; });
    var edgesRaw = [];
    center.forEach(function (i) {
      var row = D.flows[i];
      for (var k = 0; k < row.length; k += 2) { edgesRaw.push([i, row[k], row[k + 1]]); }
      var inn = inbound[i];
      for (k = 0; k < inn.length; k += 2) { if (!inCenter[inn[k]]) { edgesRaw.push([inn[k], i, inn[k + 1]]); } }
    });
    edgesRaw.forEach(function (e) {
      [e[0], e[1]].forEach(function (p) { if (!inCenter[p]) { peerW[p] = (peerW[p] || 0) + e[2]; } });
    });
    // Peers: the 30 largest are drawn; the others are listed below the
    // graph, those with critical findings first, so none is dropped
    // silently.
    var peers = Object.keys(peerW).map(Number).sort(function (a, b) { return peerW[b] - peerW[a] || a - b; });
    var drawn = peers.slice(0, 30);
    var hidden = peers.slice(30).sort(function (a, b) { return (critical(b) ? 1 : 0) - (critical(a) ? 1 : 0) || peerW[b] - peerW[a] || a - b; });
    var shownCenter = center.slice(0, 40);
    var hiddenCenter = center.slice(40);
    var nodes2 = [], at = {};
    shownCenter.forEach(function (i) { at[i] = nodes2.length; nodes2.push(nsNode(i)); });
    var cNodes = nodes2.slice();
    drawn.forEach(function (i) { at[i] = nodes2.length; nodes2.push(nsNode(i)); });
    var pNodes = nodes2.slice(cNodes.length);
    var R2 = Math.max(230, Math.min(420, pNodes.length * 9));
    W = Math.round(2 * R2 + 420); H = Math.round(2 * R2 + 120); cx = W / 2; cy = H / 2;
    if (cNodes.length === 1) { cNodes[0].x = cx; cNodes[0].y = cy; cNodes[0].r = 16; cNodes[0].lx = cx; cNodes[0].ly = cy + 32; cNodes[0].anchor = "middle"; }
    else { ring(cNodes, cx, cy, Math.min(R2 * 0.45, 30 + cNodes.length * 6), 9); }
    ring(pNodes, cx, cy, R2, 8);
    var edges2 = [];
    var ins2 = {}, outs2 = {};
    edgesRaw.forEach(function (e) {
      if (at[e[0]] === undefined || at[e[1]] === undefined || e[0] === e[1]) { return; }
      var rel = relation(e[0], e[1]);
      edges2.push({ a: at[e[0]], b: at[e[1]], w: e[2], rel: rel, title: nsName(e[0]) + " → " + nsName(e[1]) + ": " + num(e[2]) + " pod pairs (" + relText[rel] + ")" });
      (outs2[e[0]] = outs2[e[0]] || []).push([nsName(e[1]), e[2], relText[rel]]);
      (ins2[e[1]] = ins2[e[1]] || []).push([nsName(e[0]), e[2], relText[rel]]);
    });
    nodes2.forEach(function (n) {
      var by = function (x, y) { return y[1] - x[1]; };
      n.html = nodeHtml(n, (ins2[n.i] || []).sort(by), (outs2[n.i] || []).sort(by));
    });
    var note = "";
    var listed = function (xs, w) {
      return xs.slice(0, 300).map(function (i) { return nsLink(i) + (critical(i) ? " (critical)" : "") + (w ? " (" + num(w[i]) + ")" : ""); }).join(", ") + (xs.length > 300 ? ", … " + (xs.length - 300) + " more (search the namespaces below)" : "");
    };
    if (hiddenCenter.length) {
      note += '<p class="small">' + hiddenCenter.length + " namespaces of the focus are not drawn: " + listed(hiddenCenter) + "</p>";
    }
    if (hidden.length) {
      note += '<p class="small">The 30 peers with the most pod pairs are drawn; the other ' + hidden.length + " (pod pairs with the focus; those with critical findings first): " + listed(hidden, peerW) + "</p>";
    }
    if (!edges2.length) { note = '<p class="empty">No flow to or from other namespaces.</p>' + note; }
    drawGraph(nodes2, edges2, W, H, note);
  };
  view.addEventListener("change", function () { timed("graph view", drawGraphView); });
  nsInput.addEventListener("change", function () {
    var i = byName[nsInput.value];
    if (i === undefined) { return; }
    focusNs = i; view.value = "ns";
    timed("graph focus", drawGraphView);
  });
  // The default view: every namespace when there are few, otherwise the
  // riskiest namespace.
  var riskOrder = D.ns.map(function (_, i) { return i; }).sort(function (a, b) {
    var x = D.ns[a].sev, y = D.ns[b].sev;
    for (var k = 0; k < 5; k++) { if (x[k] !== y[k]) { return y[k] - x[k]; } }
    return D.ns[b].pods - D.ns[a].pods || (D.ns[a].n < D.ns[b].n ? -1 : 1);
  });
  if (D.ns.length) {
    if (D.ns.length <= 60) { view.value = "all"; } else { focusNs = riskOrder[0]; view.value = "ns"; nsInput.value = nsName(focusNs); }
  }

  // ---- namespaces ----
  var NSPAGE = 50;
  var nsHay = D.ns.map(function (ns) {
    var t = ns.t >= 0 ? D.tenants[ns.t] : "";
    return [ns.n, t, ns.w.map(function (g) { return g.w; }).join(" ")].join("\n").toLowerCase();
  });
  var nsMatched = [], nsShown = 0;
  var nsList = $("ns-list");
  var sevTags = function (sev) {
    return sev.map(function (n, k) { return n ? '<span class="tag sev-tag-' + D.sev[k] + '">' + n + " " + D.sev[k] + "</span>" : ""; }).join("");
  };
  var nsSummary = function (i) {
    var ns = D.ns[i];
    return '<summary><span class="name">' + esc(ns.n) + "</span>" +
      (ns.t >= 0 ? '<span class="tag tenant">tenant ' + esc(D.tenants[ns.t]) + "</span>" : "") +
      (ns.sh ? '<span class="tag shared">shared</span>' : "") + (ns.sy ? '<span class="tag">not declared</span>' : "") +
      '<span class="tag">' + ns.pods + (ns.pods === 1 ? " pod" : " pods") + ", " + ns.iso + "/" + ns.pods + " isolated both ways</span>" +
      '<span class="tag ' + (ns.di ? "ok" : "no") + '">default deny ingress: ' + (ns.di ? "yes" : "no") + "</span>" +
      '<span class="tag ' + (ns.de ? "ok" : "no") + '">default deny egress: ' + (ns.de ? "yes" : "no") + "</span>" + sevTags(ns.sev) + "</summary>";
  };
  var peerList = function (self, flat, noun) {
    if (!flat.length) { return '<p class="empty">No other namespace.</p>'; }
    var xs = [];
    for (var k = 0; k < flat.length; k += 2) { xs.push([flat[k], flat[k + 1]]); }
    xs.sort(function (a, b) { return b[1] - a[1]; });
    return "<ul>" + xs.slice(0, 50).map(function (x) { return "<li>" + nsLink(x[0]) + " (" + num(x[1]) + " " + noun + ")" + (relation(self, x[0]) === "cross" ? ' <span class="tag cross">cross-tenant</span>' : "") + "</li>"; }).join("") +
      (xs.length > 50 ? "<li>… and " + (xs.length - 50) + " more</li>" : "") + "</ul>";
  };
  var nsBody = function (i) {
    var ns = D.ns[i];
    var pods = ns.w.length ? '<table><thead><tr><th scope="col">Workload</th><th scope="col">Pods</th><th scope="col">Ingress</th><th scope="col">Egress</th><th scope="col">Reach</th></tr></thead><tbody>' +
      ns.w.map(function (g) {
        var base = g.w.slice(g.w.indexOf("/") + 1);
        var names = g.p.map(function (p) { return p.charAt(0) === "~" ? base + "-" + p.slice(1) : p; });
        return "<tr><td>" + esc(g.w || names[0]) + (g.h ? ' <span class="tag">host network</span>' : "") + "</td><td>" + names.length +
          (names.length > 1 ? '<details class="more"><summary>names</summary><p class="small">' + esc(names.join(", ")) + "</p></details>" : (g.w ? '<div class="small">' + esc(names[0]) + "</div>" : "")) + "</td>" +
          "<td>" + (g.ii ? '<span class="yes">✓ isolated</span>' : '<span class="nope">✗ open</span>') + "</td>" +
          "<td>" + (g.ie ? '<span class="yes">✓ isolated</span>' : '<span class="nope">✗ open</span>') + "</td>" +
          "<td>" + num(g.d) + " direct, " + num(g.r) + " transitive</td></tr>";
      }).join("") + "</tbody></table>" : '<p class="empty">No pods.</p>';
    var ext = function (xs) { return xs && xs.length ? xs.map(function (p) { return esc(p.p) + " (" + p.c + " pods)"; }).join(", ") : "none"; };
    var out = [], inn = [];
    var row = D.flows[i];
    for (var k = 0; k < row.length; k += 2) { if (row[k] !== i) { out.push(row[k], row[k + 1]); } }
    var inb = inbound[i];
    for (k = 0; k < inb.length; k += 2) { if (inb[k] !== i) { inn.push(inb[k], inb[k + 1]); } }
    var nf = nsCount[i];
    return '<div class="body"><div><h3 class="h4">Pods by workload</h3>' + pods + "</div><div>" +
      (nf ? '<p><button type="button" class="linkish" data-ns-findings="' + i + '">Show its ' + nf + (nf === 1 ? " finding" : " findings") + "</button></p>" : "") +
      '<h3 class="h4">Policies</h3>' + (ns.p && ns.p.length ? "<ul>" + ns.p.map(function (p) { return "<li>" + esc(p) + "</li>"; }).join("") + "</ul>" : '<p class="empty">None.</p>') +
      '<h3 class="h4">Inbound from</h3>' + peerList(i, inn, "pod pairs") +
      '<h3 class="h4">Outbound to</h3>' + peerList(i, out, "pod pairs") +
      '<h3 class="h4">Outside the cluster</h3><ul><li>from: ' + ext(ns.xi) + "</li><li>to: " + ext(ns.xo) + "</li></ul></div></div>";
  };
  var nsItem = function (i) {
    return '<details class="card ns" id="ns-' + esc(D.ns[i].n) + '" data-i="' + i + '">' + nsSummary(i) + "</details>";
  };
  var renderNs = function (upTo) {
    var h = [];
    for (var k = nsShown; k < Math.min(upTo, nsMatched.length); k++) { h.push(nsItem(nsMatched[k])); }
    nsList.insertAdjacentHTML("beforeend", h.join(""));
    nsShown = Math.min(upTo, nsMatched.length);
    $("ns-more").hidden = nsShown >= nsMatched.length;
    $("ns-more").textContent = "Show " + Math.min(NSPAGE, nsMatched.length - nsShown) + " more of " + (nsMatched.length - nsShown);
  };
  var applyNs = function () {
    var q = $("ns-search").value.trim().toLowerCase();
    var sort = $("ns-sort").value;
    var order = riskOrder;
    if (sort === "name") { order = D.ns.map(function (_, i) { return i; }); }
    if (sort === "pods") { order = riskOrder.slice().sort(function (a, b) { return D.ns[b].pods - D.ns[a].pods || a - b; }); }
    nsMatched = order.filter(function (i) { return !q || nsHay[i].indexOf(q) >= 0; });
    nsList.textContent = "";
    nsShown = 0;
    renderNs(NSPAGE);
    $("ns-count").textContent = String(nsMatched.length);
  };
  nsList.addEventListener("toggle", function (e) {
    var d = e.target;
    if (d.classList && d.classList.contains("ns") && d.open && !d.querySelector(".body")) {
      timed("namespace details", function () { d.insertAdjacentHTML("beforeend", nsBody(+d.getAttribute("data-i"))); });
    }
  }, true);
  nsList.addEventListener("click", function (e) {
    var b = e.target.closest("[data-ns-findings]");
    if (!b) { return; }
    onlyList = null; setSev(function () { return true; });
    kindSel.value = ""; search.value = ""; nsSel.value = b.getAttribute("data-ns-findings");
    timed("namespace findings", applyFindings);
    $("findings").scrollIntoView();
  });
  $("ns-search").addEventListener("input", debounce(function () { timed("namespace search", applyNs); }, 60));
  $("ns-sort").addEventListener("change", function () { timed("namespace sort", applyNs); });
  $("ns-more").addEventListener("click", function () { timed("more namespaces", function () { renderNs(nsShown + NSPAGE); }); });

  // Opening a namespace from a link (tables, graph, findings).
  var openNs = function (name) {
    var i = byName[name];
    if (i === undefined) { return; }
    var pos = nsMatched.indexOf(i);
    if (pos < 0) { $("ns-search").value = ""; applyNs(); pos = nsMatched.indexOf(i); }
    if (pos >= nsShown) { renderNs(pos + 1); }
    var el = $("ns-" + name);
    if (el) {
      if (!el.open) { el.open = true; if (!el.querySelector(".body")) { el.insertAdjacentHTML("beforeend", nsBody(i)); } }
      el.scrollIntoView();
      el.querySelector("summary").focus();
    }
  };
  var openTarget = function () {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (id.indexOf("ns-") === 0) { openNs(id.slice(3)); }
  };
  document.addEventListener("click", function (e) {
    var a = e.target.closest("a[href^='#ns-']");
    if (!a) { return; }
    e.preventDefault();
    var name = decodeURIComponent(a.getAttribute("href").slice(4));
    history.replaceState(null, "", "#ns-" + encodeURIComponent(name));
    openNs(name);
  });
  window.addEventListener("hashchange", openTarget);

  // Printing lists every finding that the filters let through, expanded.
  var printMode = function (on) {
    if (printing === on) { return; }
    printing = on;
    if (on) { onlyList = null; setSev(function () { return true; }); kindSel.value = ""; nsSel.value = ""; search.value = ""; }
    applyFindings();
  };
  window.addEventListener("beforeprint", function () { printMode(true); });
  window.addEventListener("afterprint", function () { printMode(false); });
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    var onMq = function () { printMode(mq.matches); };
    if (mq.addEventListener) { mq.addEventListener("change", onMq); }
  }

  timed("first render", function () {
    applyFindings();
    drawLevel();
    if (D.ns.length) { drawGraphView(); } else { $("graph-box").innerHTML = '<p class="empty">No namespaces.</p>'; }
    applyNs();
    openTarget();
  });
  }
})();
