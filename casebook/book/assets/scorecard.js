/* Scorecard page: filter rows by chapter and verdict, sort by any column, print.
   Plain JavaScript, no libraries, nothing fetched. Works on any <table class="scorecard"> whose body
   rows carry data-chapter and data-verdict attributes (whatever the columns are). */
(function () {
  "use strict";

  function text(el) { return (el.textContent || "").replace(/\s+/g, " ").trim(); }

  // The first number in a cell ("1,234.5", "-0.12", "28.2 %"), or NaN.
  function number(s) {
    var m = s.replace(/[\u2212\u2013]/g, "-").replace(/(\d),(?=\d{3}\b)/g, "$1").match(/^\s*\(?\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)/i);
    return m ? parseFloat(m[1]) : NaN;  // a cell that starts with a number ("A1 ..." is text)
  }

  function options(select, values, label) {
    var all = document.createElement("option");
    all.value = ""; all.textContent = label;
    select.appendChild(all);
    values.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v; o.textContent = v;
      select.appendChild(o);
    });
  }

  function unique(rows, attr) {
    var seen = [];
    rows.forEach(function (r) {
      var v = r.getAttribute(attr);
      if (v !== null && seen.indexOf(v) < 0) { seen.push(v); }
    });
    return seen;
  }

  function setup(table, k) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.hasAttribute("data-chapter"); });
    // long chapter names ("03_outsourcing_satisfaction") may wrap after their underscores
    rows.forEach(function (r) {
      Array.prototype.forEach.call(r.cells, function (td) {
        var name = r.getAttribute("data-chapter");
        if (td.children.length === 0 && text(td) === name && name.indexOf("_") >= 0) {
          td.textContent = "";
          name.split("_").forEach(function (part, i) {
            if (i) { td.appendChild(document.createTextNode("_")); td.appendChild(document.createElement("wbr")); }
            td.appendChild(document.createTextNode(part));
          });
          td.classList.add("chapter-name");
        }
      });
    });
    var bar = document.createElement("div");
    bar.className = "scorecard-controls";
    bar.setAttribute("role", "search");
    var chapter = document.createElement("select");
    chapter.id = "scorecard-chapter" + (k ? "-" + k : "");
    chapter.setAttribute("aria-label", "filter by chapter");
    options(chapter, unique(rows, "data-chapter"), "all chapters");
    var verdict = document.createElement("select");
    verdict.id = "scorecard-verdict" + (k ? "-" + k : "");
    verdict.setAttribute("aria-label", "filter by verdict");
    options(verdict, unique(rows, "data-verdict"), "all verdicts");
    var count = document.createElement("span");
    count.className = "scorecard-count";
    count.setAttribute("aria-live", "polite");
    var print = document.createElement("button");
    print.type = "button"; print.textContent = "Print";
    print.addEventListener("click", function () { window.print(); });
    [["Chapter ", chapter], ["Verdict ", verdict]].forEach(function (pair) {
      var label = document.createElement("label");
      label.appendChild(document.createTextNode(pair[0]));
      label.appendChild(pair[1]);
      bar.appendChild(label);
    });
    bar.appendChild(count);
    bar.appendChild(print);
    table.parentNode.insertBefore(bar, table);

    function filter() {
      var shown = 0;
      rows.forEach(function (r) {
        var ok = (!chapter.value || r.getAttribute("data-chapter") === chapter.value) &&
                 (!verdict.value || r.getAttribute("data-verdict") === verdict.value);
        r.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + " of " + rows.length + " rows";
    }
    chapter.addEventListener("change", filter);
    verdict.addEventListener("change", filter);
    filter();

    // sorting: click a column heading (again to reverse); original order kept for ties
    rows.forEach(function (r, i) { r.setAttribute("data-order", i); });
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      th.title = "sort by " + text(th);
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var keyed = rows.map(function (r) {
          var s = r.cells[col] ? text(r.cells[col]) : "";
          return { row: r, s: s.toLowerCase(), n: number(s), i: +r.getAttribute("data-order") };
        });
        var numeric = keyed.filter(function (x) { return !isNaN(x.n); }).length >= keyed.length / 2;
        keyed.sort(function (a, b) {
          var c;
          if (numeric) {
            c = isNaN(a.n) ? (isNaN(b.n) ? 0 : 1) : (isNaN(b.n) ? -1 : (a.n - b.n) * dir);
            if (isNaN(a.n) || isNaN(b.n)) { return c || a.i - b.i; }  // blanks last either way
          } else {
            c = a.s.localeCompare(b.s, undefined, { numeric: true }) * dir;
          }
          return c || a.i - b.i;
        });
        keyed.forEach(function (x) { body.appendChild(x.row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.scorecard"), setup);
    document.documentElement.setAttribute("data-scorecard", "ready");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
