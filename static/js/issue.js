/* The issue page's copy buttons: the short id, the permalink, the stack trace as text.
   One delegated listener, so buttons htmx swaps in work too. A static file, no inline
   script: the pages' Content-Security-Policy allows scripts from our origin only. */
(function () {
  "use strict";

  function fallbackCopy(text) {
    // Pages served over plain HTTP (not localhost) have no clipboard API.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  function textFor(button) {
    if (button.dataset.copy !== undefined) return button.dataset.copy;
    if (button.dataset.copyUrl !== undefined) {
      return new URL(button.dataset.copyUrl, window.location.href).href;
    }
    var source = document.querySelector(button.dataset.copyFrom);
    return source ? source.textContent : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy], [data-copy-url], [data-copy-from]");
    if (!button) return;
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    copy(textFor(button)).then(function () {
      button.textContent = "Copied";
      button.classList.add("copied");
    }, function () {
      button.textContent = "Select and copy";
    });
    window.setTimeout(function () {
      button.textContent = label;
      button.classList.remove("copied");
    }, 1500);
  });
})();
