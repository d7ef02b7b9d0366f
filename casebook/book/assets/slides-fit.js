/* Fit each slide to the 1280 x 720 stage: shrink a figure that the heading and reading push off
   the slide, then, if the text alone is too long, scale the slide's type down (not below 60 %).
   Runs when reveal.js is ready and again when MathJax has typeset the formulas. Offline, no libraries. */
(function () {
  "use strict";
  var MIN_IMAGE = 220, MIN_SCALE = 0.6;

  function overflow(section, height) {
    return section.scrollHeight - height;
  }

  function fit(section, height) {
    var images = section.querySelectorAll(".jp-OutputArea-output img");
    section.style.fontSize = "";
    images.forEach(function (img) { img.style.height = ""; });
    var extra = overflow(section, height);
    if (extra <= 0) { return; }
    images.forEach(function (img) {
      if (extra <= 0) { return; }
      var h = img.getBoundingClientRect().height / (window.Reveal ? Reveal.getScale() : 1);
      var target = Math.max(MIN_IMAGE, h - extra - 8);
      img.style.height = target + "px";
      extra = overflow(section, height);
    });
    for (var scale = 0.95; extra > 0 && scale >= MIN_SCALE - 1e-9; scale -= 0.05) {
      section.style.fontSize = scale + "em";
      extra = overflow(section, height);
    }
  }

  function fitAll() {
    if (!window.Reveal || !Reveal.isReady()) { return; }
    var height = Reveal.getConfig().height;
    document.querySelectorAll(".reveal .slides section section").forEach(function (section) {
      // measure hidden slides too: show each one (and its stack) briefly
      var stack = section.parentElement;
      var hidden = [section.style.display, stack.style.display];
      section.style.display = "block";
      stack.style.display = "block";
      fit(section, height);
      section.style.display = hidden[0];
      stack.style.display = hidden[1];
    });
    Reveal.layout();
    document.documentElement.setAttribute("data-slides-fitted", "yes");
  }

  window.casebookFitSlides = fitAll;
  function start() {
    Reveal.on("ready", fitAll);
    if (Reveal.isReady()) { fitAll(); }
    window.addEventListener("load", fitAll);
    // printing lays the slides out anew (assets/slides.css @media print): fit them again, and back after
    window.addEventListener("beforeprint", fitAll);
    window.addEventListener("afterprint", fitAll);
  }
  if (window.Reveal) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
