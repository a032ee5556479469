// Tend's own behaviour: the phone menu, confirmations before destructive posts, and a
// message when an HTMX request fails. Everything else is HTMX attributes in the templates.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".nav-toggle");
    if (!toggle) return;
    var header = toggle.closest(".site-header");
    var open = header.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // <form data-confirm="…">: ask before submitting (HTMX forms use hx-confirm instead).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Filters send only the fields that are set, so the pushed URL stays short and shareable.
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb !== "get" || !detail.elt.closest("[data-drop-empty]")) return;
    var formData = detail.formData;
    if (!formData) return;
    Array.from(formData.keys()).forEach(function (name) {
      if (formData.getAll(name).every(function (value) { return value === ""; })) {
        formData.delete(name);
      }
    });
  });

  function showError() {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.textContent = document.body.getAttribute("data-error-text") || "Error";
    box.hidden = false;
    window.clearTimeout(showError.timer);
    showError.timer = window.setTimeout(function () { box.hidden = true; }, 6000);
  }

  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
})();
