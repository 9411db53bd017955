// The little JavaScript the pages use, in one file: the Content-Security-Policy allows no
// inline script or handler attributes, so behaviour hangs off data- attributes instead.
// Every page works without it; this only adds conveniences.
(function () {
  "use strict";

  // A read-only field (a DSN) selects itself when focused, ready to copy.
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-select-on-focus]")) e.target.select();
  });

  // "Select all" checks every row of its form.
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("[data-check-all]")) return;
    e.target.closest("form").querySelectorAll("input[name=issue]").forEach(function (box) {
      box.checked = e.target.checked;
    });
  });

  // A plain (non-htmx) form that must ask first: <form data-confirm="Delete this rule?">.
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });

  // Copy buttons: <button data-copy="field-id" hidden>; shown only where they can work.
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;  // a button that carries its text itself (issue.js handles those)
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done);
    } else {
      field.select();
      if (document.execCommand("copy")) done();
    }
  });

  // On the first load and on every piece of content htmx swaps in.
  function enhance(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
    // Proportion bars: the width comes from data-percent because inline styles are refused.
    root.querySelectorAll("[data-percent]").forEach(function (bar) {
      bar.style.width = bar.dataset.percent + "%";
    });
  }
  if (window.htmx) {
    window.htmx.onLoad(enhance);
  } else {
    enhance(document);
  }
})();
