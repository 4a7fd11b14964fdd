// The instance browser: filters, sorting and pages over the rows of data.js, drawn with
// DOM calls (textContent, never innerHTML), so class names can hold any character.
(function () {
  "use strict";
  var data = window.CNNINTE;
  if (!data) return;
  var names = data.classes, rows = data.rows, clusters = data.clusters;
  // Row fields: index, true, cnn, p, inte, vote share of inte, level1, level2, thumbnail,
  // credibility (-1 in interpretations made before credibilities existed), the image's
  // file ("" or absent where the index names it).
  var I = 0, T = 1, C = 2, P = 3, M = 4, V = 5, L1 = 6, L2 = 7, IMG = 8, CR = 9, F = 10;
  var PAGE = 50, page = 0, current = rows;
  var form = document.getElementById("filters");
  var body = document.getElementById("rows");
  var pager = document.getElementById("pager");
  var count = document.getElementById("count");

  function option(select, value, text) {
    var o = document.createElement("option");
    o.value = value; o.textContent = text; select.appendChild(o);
  }
  ["truth", "cnn", "inte"].forEach(function (field) {
    names.forEach(function (n, c) { option(form.elements[field], String(c), n); });
  });
  clusters.forEach(function (id) { option(form.elements.cluster, id, id.indexOf(".") < 0 ? "level-1 " + id : "  " + id); });

  // Filters and sort survive a reload and can be shared as a link (#truth=3&disagree=1).
  function readHash() {
    var parts = location.hash.replace(/^#/, "").split("&");
    parts.forEach(function (kv) {
      var p = kv.split("="), el = form.elements[decodeURIComponent(p[0] || "")];
      if (!el || p.length < 2) return;
      var v = decodeURIComponent(p[1]);
      if (el.type === "checkbox") el.checked = v === "1"; else el.value = v;
    });
  }
  function writeHash() {
    var parts = [];
    ["find", "truth", "cnn", "inte", "cluster", "credibility", "sort"].forEach(function (f) {
      var v = form.elements[f].value;
      if (v && !(f === "sort" && v === "index")) parts.push(f + "=" + encodeURIComponent(v));
    });
    ["disagree", "wrong"].forEach(function (f) { if (form.elements[f].checked) parts.push(f + "=1"); });
    if (page > 0) parts.push("page=" + (page + 1));
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname);
  }

  function apply(keepPage) {
    var f = form.elements;
    var truth = f.truth.value, cnn = f.cnn.value, inte = f.inte.value, cluster = f.cluster.value;
    var disagree = f.disagree.checked, wrong = f.wrong.checked, below = f.credibility.value;
    // An index (160 or #160) finds that instance; any other text, the files holding it.
    var find = f.find.value.trim().toLowerCase(), number = /^#?\d+$/.test(find) ? +find.replace("#", "") : -1;
    current = rows.filter(function (r) {
      if (find !== "" && r[I] !== number && String(r[F] || "").toLowerCase().indexOf(find) < 0) return false;
      if (truth !== "" && r[T] !== +truth) return false;
      if (cnn !== "" && r[C] !== +cnn) return false;
      if (inte !== "" && r[M] !== +inte) return false;
      if (cluster !== "" && String(r[L1]) !== cluster && r[L1] + "." + r[L2] !== cluster) return false;
      if (disagree && r[C] === r[M]) return false;
      if (wrong && r[C] === r[T]) return false;
      if (below !== "" && !(r[CR] >= 0 && r[CR] < +below)) return false;
      return true;
    });
    var key = f.sort.value;
    if (key === "confidence") current.sort(function (a, b) { return a[P] - b[P] || a[I] - b[I]; });
    else if (key === "credibility") current.sort(function (a, b) { return a[CR] - b[CR] || a[I] - b[I]; });
    else if (key === "votes") current.sort(function (a, b) { return a[V] - b[V] || a[I] - b[I]; });
    else if (key === "cluster") current.sort(function (a, b) { return a[L1] - b[L1] || a[L2] - b[L2] || a[I] - b[I]; });
    if (!keepPage) page = 0;
    page = Math.min(page, Math.max(0, Math.ceil(current.length / PAGE) - 1));
    draw();
    writeHash();
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (text !== null) td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function draw() {
    var start = page * PAGE, shown = current.slice(start, start + PAGE);
    var fragment = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = document.createElement("tr");
      var agrees = r[C] === r[M], right = r[C] === r[T];
      if (!agrees) tr.className = "disagree";
      var img = document.createElement("img");
      img.loading = "lazy"; img.src = r[IMG]; img.alt = "#" + r[I];
      cell(tr, null).appendChild(img);
      var a = document.createElement("a");
      a.href = "instances/" + r[I] + ".html"; a.textContent = "#" + r[I];
      var named = cell(tr, null);
      named.appendChild(a);
      if (r[F]) {
        var file = document.createElement("div");
        file.className = "file"; file.textContent = r[F];
        named.appendChild(file);
      }
      cell(tr, names[r[T]]);
      cell(tr, names[r[C]] + " (" + r[P].toFixed(3) + ")");
      cell(tr, names[r[M]] + " (" + Math.round(100 * r[V]) + "%)");
      cell(tr, r[L1] + " → " + r[L1] + "." + r[L2]);
      // Words beside the figure, not colour alone.
      var credible = r[CR] < 0 ? "" : Math.round(100 * r[CR]) + "% " + (r[CR] >= 0.95 ? "high" : r[CR] >= 0.8 ? "moderate" : "LOW");
      cell(tr, credible, r[CR] >= 0 && r[CR] < 0.8 ? "status-alarm" : null);
      var status = cell(tr, null);
      var agreement = document.createElement("span");
      agreement.textContent = agrees ? "✓ agrees" : "✗ DISAGREES";
      agreement.className = agrees ? "status-ok" : "status-alarm";
      status.appendChild(agreement);
      if (!right) {
        var wrongMark = document.createElement("span");
        wrongMark.textContent = " · ✗ CNN wrong";
        wrongMark.className = "status-alarm";
        status.appendChild(wrongMark);
      }
      fragment.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(fragment);
    count.textContent = current.length === rows.length
      ? rows.length + " instances"
      : current.length + " of " + rows.length + " instances match";
    drawPager();
  }

  function drawPager() {
    pager.textContent = "";
    var pages = Math.ceil(current.length / PAGE);
    if (pages <= 1) return;
    function button(label, target, disabled, isCurrent) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = label; b.disabled = disabled;
      if (isCurrent) b.className = "current";
      b.addEventListener("click", function () { page = target; draw(); writeHash(); });
      pager.appendChild(b);
    }
    button("‹ previous", page - 1, page === 0, false);
    var from = Math.max(0, page - 4), to = Math.min(pages, from + 9);
    for (var p = from; p < to; p++) button(String(p + 1), p, false, p === page);
    button("next ›", page + 1, page >= pages - 1, false);
    var info = document.createElement("span");
    info.textContent = "page " + (page + 1) + " of " + pages;
    pager.appendChild(info);
  }

  form.addEventListener("change", function () { apply(false); });
  form.addEventListener("input", function (e) { if (e.target.name === "find") apply(false); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  readHash();
  var m = /(?:^#|&)page=(\d+)/.exec(location.hash);
  if (m) page = Math.max(0, +m[1] - 1);
  apply(true);
  // A link with filters in it lands on the browser, not on the summary above it.
  if (location.hash.length > 1) document.getElementById("browser").scrollIntoView();
})();
