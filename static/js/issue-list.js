// The issue list's selection, priority and keyboard helpers, and its polling for new issues.
// The list works without them: every action is a form post, every filter a link or a GET
// form. No inline script and no eval (the Content-Security-Policy allows neither).
(function () {
  "use strict";

  function bulkForm() { return document.querySelector("form.bulk"); }

  // --- Selection: this page, or every matching issue ------------------------------------

  function selectAllMatching(form, on) {
    var all = form.querySelector("input[name=all_matching]");
    all.disabled = !on;
    var banner = form.querySelector(".select-matching");
    if (banner) {
      banner.querySelector("[data-page-selected]").hidden = on;
      banner.querySelector("[data-all-selected]").hidden = !on;
    }
    // Destructive buttons ask about everything they are about to delete.
    form.querySelectorAll("[data-confirm-all]").forEach(function (button) {
      button.setAttribute("hx-confirm", on ? button.dataset.confirmAll : button.dataset.confirmPage);
    });
  }

  function pageSelectionChanged(form) {
    var boxes = form.querySelectorAll("input[name=issue]");
    var checked = form.querySelectorAll("input[name=issue]:checked");
    var banner = form.querySelector(".select-matching");
    var whole = boxes.length > 0 && checked.length === boxes.length;
    if (banner) banner.hidden = !whole;
    if (!whole) selectAllMatching(form, false);
    var checkAll = form.querySelector("[data-check-all]");
    if (checkAll) checkAll.checked = whole;
  }

  document.addEventListener("change", function (e) {
    var form = e.target.closest("form.bulk");
    if (!form) return;
    if (e.target.matches("[data-check-all]")) {
      form.querySelectorAll("input[name=issue]").forEach(function (box) {
        box.checked = e.target.checked;
      });
    }
    if (e.target.matches("[data-check-all], input[name=issue]")) pageSelectionChanged(form);
  });

  document.addEventListener("click", function (e) {
    var form = e.target.closest("form.bulk");
    if (!form) return;
    if (e.target.matches("[data-select-matching]")) selectAllMatching(form, true);
    if (e.target.matches("[data-clear-selection]")) {
      form.querySelectorAll("input[name=issue]").forEach(function (box) { box.checked = false; });
      pageSelectionChanged(form);
    }
  });

  // --- One issue at a time: priority, and the keyboard's actions ------------------------

  // Post one action for the given issues; the answer is the refreshed rows.
  function act(action, ids, values) {
    var form = bulkForm();
    var data = {
      action: action, issue: ids, next: location.pathname + location.search,
      csrfmiddlewaretoken: form.querySelector("input[name=csrfmiddlewaretoken]").value,
    };
    Object.keys(values || {}).forEach(function (k) { data[k] = values[k]; });
    return htmx.ajax("POST", form.getAttribute("action"),
                     {target: "#results", swap: "outerHTML", values: data});
  }

  document.addEventListener("change", function (e) {
    if (!e.target.matches("select[data-priority-for]")) return;
    act("priority", [e.target.dataset.priorityFor], {priority: e.target.value});
  });

  // --- Keyboard: j/k move, Enter opens, r/i/a resolve, ignore, assign to me -------------

  var focusedId = null;

  function rows() { return Array.from(document.querySelectorAll("table.issues tr[data-issue]")); }

  function focusRow(row) {
    rows().forEach(function (r) { r.classList.remove("focused"); r.removeAttribute("aria-current"); });
    if (!row) { focusedId = null; return; }
    row.classList.add("focused");
    row.setAttribute("aria-current", "true");
    focusedId = row.dataset.issue;
    row.scrollIntoView({block: "nearest"});
  }

  function focused() {
    return rows().find(function (r) { return r.dataset.issue === focusedId; }) || null;
  }

  // The checked issues, or else the focused one.
  function targets() {
    var checked = Array.from(document.querySelectorAll("form.bulk input[name=issue]:checked"))
      .map(function (box) { return box.value; });
    if (checked.length) return checked;
    return focusedId && focused() ? [focusedId] : [];
  }

  // In a field that takes keys (a checkbox does not: j and k still move from one).
  function typing(target) {
    return target.closest(
      "input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]"
    ) !== null;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (!document.querySelector("table.issues")) return;
    var list = rows();
    var current = focused();
    var index = current ? list.indexOf(current) : -1;
    switch (e.key) {
      case "j":
        focusRow(list[Math.min(index + 1, list.length - 1)]);
        break;
      case "k":
        focusRow(list[Math.max(index - 1, 0)]);
        break;
      case "Enter":
        if (!current || e.target.closest("a, button")) return;
        current.querySelector("a.title").click();
        break;
      case "r":
        if (targets().length) act("resolve", targets());
        break;
      case "i":
        if (targets().length) act("ignore", targets(), {ignore: "forever"});
        break;
      case "a":
        var me = bulkForm().dataset.me;
        if (targets().length && me) act("assign", targets(), {assign_to: me});
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  // --- New issues without reload: poll while the tab is visible -------------------------

  var timer = null;

  function pollSeconds() {
    var results = document.getElementById("results");
    return results ? Number(results.dataset.poll || 0) : 0;
  }

  // Refresh the rows unless the user is in the middle of something on them.
  function refresh() {
    var busy = document.querySelector("form.bulk input[name=issue]:checked") ||
               (document.activeElement && typing(document.activeElement) &&
                document.activeElement.closest("#results"));
    if (document.visibilityState !== "visible" || busy) return schedule();
    htmx.ajax("GET", location.pathname + location.search,
              {target: "#results", swap: "outerHTML"}).then(schedule, schedule);
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    var seconds = pollSeconds();
    if (seconds > 0 && document.visibilityState === "visible") {
      timer = setTimeout(refresh, seconds * 1000);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh(); else { clearTimeout(timer); timer = null; }
  });

  // Swapped rows keep the keyboard's place, and the selection banner its state.
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target && e.detail.target.id === "results") {
      var row = focusedId && focused();
      if (row) focusRow(row);
    }
  });

  document.addEventListener("DOMContentLoaded", schedule);
  window.errataIssueList = {schedule: schedule};
})();
