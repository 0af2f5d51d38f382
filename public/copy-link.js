// Copy buttons for addresses shown in read-only fields (preview links). The buttons are
// hidden in the page and shown only here, so without JavaScript nothing is offered that
// does nothing: the address is in a field to select and copy by hand.
(function () {
  "use strict";
  function copy(input) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(input.value);
    input.focus();
    input.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var id = button.getAttribute("data-copy");
    var input = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!input) return;
    input.addEventListener("focus", function () { input.select(); });
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(input).then(
        function () { if (status) status.textContent = "Copied."; },
        function () { input.focus(); input.select(); if (status) status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected address."; },
      );
    });
  });
})();
