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

  // Flash messages fade after a while, but stay for screen readers until then.
  function dismissFlashes() {
    document.querySelectorAll(".flash").forEach(function (el) {
      window.setTimeout(function () { el.classList.add("flash-hide"); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", dismissFlashes);
  document.addEventListener("htmx:afterSettle", dismissFlashes);

  // A failed htmx request (server error or network) tells the person instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    showProblem(event.detail.xhr && event.detail.xhr.status === 403
      ? "That was refused. Reload the page and try again."
      : "Something went wrong. Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showProblem("The portal could not be reached. Check your connection and try again.");
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
