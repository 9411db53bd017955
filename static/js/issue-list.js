// The issue list's keyboard and selection helpers. The list works without them: every
// action is a form post, every filter a link or a GET form.
(function () {
  "use strict";

  // "Select all" on this page.
  document.addEventListener("change", function (e) {
    if (!e.target.matches("[data-check-all]")) return;
    e.target.closest("form").querySelectorAll("input[name=issue]").forEach(function (box) {
      box.checked = e.target.checked;
    });
  });
})();
