// The upload form sends mapping_id only when a saved mapping is chosen: "none" leaves the
// field out of the request instead of sending it empty.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "import-form") {
      return;
    }
    if (event.detail.parameters.mapping_id === "") {
      // htmx's parameters wrap the form data; deleting the name removes the field.
      delete event.detail.parameters.mapping_id;
    }
  });
})();
