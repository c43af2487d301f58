// A health document's page: "Développer" / "Réduire" open or close every section at once.
(function () {
  "use strict";
  document.querySelectorAll("[data-sections]").forEach(function (button) {
    button.addEventListener("click", function () {
      var open = button.dataset.sections === "open";
      document.querySelectorAll("details.document-section").forEach(function (section) { section.open = open; });
    });
  });
})();
