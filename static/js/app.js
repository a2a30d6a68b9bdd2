// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // "Copy" buttons: data-copy="#selector" copies that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });

  // Flash messages stay until the next page: a message that fades on a timer is missed by
  // whoever reads slowly, zooms in or looked away (WCAG 2.2.1), and half-faded it is unreadable.

  // A failed htmx request (server error or network) tells the person instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    showProblem(event.detail.xhr && event.detail.xhr.status === 403
      ? "That was refused. Reload the page and try again."
      : "Something went wrong. Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showProblem("The portal could not be reached. Check your connection and try again.");
  });
  // After an update in place (support, a comment, a stage, a form sent back with its errors) the
  // keyboard focus would be lost to the top of the page: put it on what changed instead. A fragment
  // names its focus with [data-focus] (an error, a heading); otherwise the updated region takes it.
  // Only when the swap took away the element that had the focus: a poll (the notification count)
  // never moves anyone's focus.
  var focusWasInTarget = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target, active = document.activeElement;
    focusWasInTarget = !!(target && active && active !== document.body && target.contains(active));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!focusWasInTarget) return;
    focusWasInTarget = false;
    var target = event.detail.target;
    if (target && !document.contains(target) && target.id) target = document.getElementById(target.id);
    if (!target || target === document.body || event.detail.boosted) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var wanted = target.querySelector("[aria-invalid=true], [data-focus]") || target;
    if (!wanted.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(wanted.tagName)) {
      wanted.setAttribute("tabindex", "-1");
    }
    wanted.focus({ preventScroll: false });
  });

  function showProblem(text) {
    var region = document.getElementById("flash");
    if (!region) return;
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.textContent = text;
    region.replaceChildren(p);
  }
})();

// Tag suggestions: clicking a suggested tag replaces the word being typed.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-tag]");
    if (!button) return;
    var input = document.querySelector("[data-tag-input]");
    if (!input) return;
    var parts = input.value.split(",");
    parts[parts.length - 1] = " " + button.getAttribute("data-add-tag");
    input.value = parts.map(function (p) { return p.trim(); }).filter(Boolean).join(", ") + ", ";
    input.focus();
    var box = document.getElementById("tag-suggestions");
    if (box) box.replaceChildren();
  });

  // Files over the limit are refused before they are sent, with the same message the server gives.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var input = form.querySelector && form.querySelector("input[type=file][data-max-bytes]");
    if (!input || !input.files || !input.files[0]) return;
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    if (input.files[0].size > max) {
      event.preventDefault();
      var error = form.querySelector(".error");
      if (error) {
        error.textContent = "The file is too large: at most " + Math.round(max / 1048576) + " MB is accepted.";
        error.hidden = false;
      }
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }, true);
})();

// The header's search suggestions: arrow keys move from the box through the suggestions and back;
// they close on Escape (focus returns to the box) or a click elsewhere.
(function () {
  "use strict";
  function closeSuggestions() {
    var panel = document.getElementById("header-suggest");
    if (panel) panel.replaceChildren();
  }
  document.addEventListener("keydown", function (event) {
    var panel = document.getElementById("header-suggest");
    var box = document.querySelector(".header-search input[type=search]");
    if (event.key === "Escape") {
      if (panel && panel.contains(document.activeElement) && box) box.focus();
      closeSuggestions();
      return;
    }
    if (!panel || !box || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    var links = Array.prototype.slice.call(panel.querySelectorAll("a"));
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    if (document.activeElement !== box && at === -1) return;
    event.preventDefault();
    var next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) box.focus();
    else links[Math.min(next, links.length - 1)].focus();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".header-search")) closeSuggestions();
  });
})();

// @mention suggestions: clicking one completes the @handle being typed.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-mention]");
    if (!button) return;
    var box = button.closest("form").querySelector("[data-mention-input]");
    if (!box) return;
    box.value = box.value.replace(/@[\w.-]*$/, "@" + button.getAttribute("data-mention") + " ");
    box.focus();
    var list = document.getElementById("mention-suggestions");
    if (list) list.replaceChildren();
  });
})();
