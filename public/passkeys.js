/* global fetch */
// Passkeys in the browser (WebAuthn through @simplewebauthn/browser, served from this site).
// Everything here is an addition: without JavaScript or WebAuthn the passkey parts stay
// hidden and the password forms work as before.
(function () {
  "use strict";
  var lib = window.SimpleWebAuthnBrowser;
  if (!lib || !lib.browserSupportsWebAuthn()) return;

  function csrf() {
    var field = document.querySelector('input[name="_csrf"]');
    return field ? field.value : "";
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), Accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.error || "The request was refused (" + res.status + "). Reload the page and try again.");
        return data;
      });
    });
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") return "The passkey request was cancelled or timed out. Try again.";
    return (error && error.message) || "The passkey did not work. Try again.";
  }

  function wire(section, button, run) {
    var message = section.querySelector("[data-passkey-error]");
    section.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      if (message) message.textContent = "";
      run().catch(function (error) {
        if (message) message.textContent = explain(error);
        button.disabled = false;
      });
    });
  }

  // Sign in: with a passkey alone (sign-in page) or as the second step.
  document.querySelectorAll("[data-passkey-login]").forEach(function (section) {
    wire(section, section.querySelector("[data-passkey-button]"), function () {
      var next = document.querySelector('input[name="next"]');
      return postJson("/login/passkey/options")
        .then(function (options) { return lib.startAuthentication({ optionsJSON: options }); })
        .then(function (response) { return postJson("/login/passkey", { response: response, next: next ? next.value : undefined }); })
        .then(function (result) { window.location.assign(result.redirect); });
    });
  });

  // Add a passkey on /account/security.
  document.querySelectorAll("[data-passkey-register]").forEach(function (section) {
    wire(section, section.querySelector("[data-passkey-register-button]"), function () {
      var name = section.querySelector("#passkey-name").value.trim();
      if (!name) return Promise.reject(new Error("Give the passkey a name first (for example “Work laptop”)."));
      return postJson("/account/security/passkeys/options")
        .then(function (options) { return lib.startRegistration({ optionsJSON: options }); })
        .then(function (response) { return postJson("/account/security/passkeys", { name: name, response: response }); })
        .then(function (result) { window.location.assign(result.redirect); });
    });
  });

  // Approve and sign a revision with a passkey instead of the password.
  document.querySelectorAll("[data-passkey-sign]").forEach(function (section) {
    var form = section.closest("form");
    wire(section, section.querySelector("[data-passkey-sign-button]"), function () {
      var meaning = form.querySelector('[name="meaning"]').value;
      var revisionId = form.querySelector('[name="revisionId"]').value;
      return postJson("/editor/articles/" + section.getAttribute("data-article-id") + "/signature-options", { revisionId: revisionId, meaning: meaning })
        .then(function (options) { return lib.startAuthentication({ optionsJSON: options }); })
        .then(function (response) {
          form.querySelector("[data-passkey-response]").value = JSON.stringify(response);
          var password = form.querySelector('[name="password"]');
          if (password) password.required = false;
          form.submit();
        });
    });
  });
})();
