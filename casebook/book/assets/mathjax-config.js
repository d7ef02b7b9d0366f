/* MathJax 3 configuration for the casebook's pages and slides (loaded before assets/mathjax/es5/tex-chtml-full.js).
   The same delimiters as Jupyter: $...$ and \(...\) inline, $$...$$ and \[...\] displayed; \$ is a literal dollar.
   Code and printed outputs (<pre>, <code>) are never typeset. Everything is local: no request leaves file://. */
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams"
  },
  options: {
    skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml"],
    ignoreHtmlClass: "tex2jax_ignore|notes-plaintext",
    menuOptions: { settings: { assistiveMml: true, explorer: false } }
  },
  chtml: { scale: 1, displayAlign: "center" },
  startup: {
    ready: function () {
      MathJax.startup.defaultReady();
      MathJax.startup.promise.then(function () {
        document.documentElement.setAttribute("data-mathjax", "done");
        if (window.casebookFitSlides) { window.casebookFitSlides(); }  // slides: re-fit with the typeset maths
      });
    }
  }
};
