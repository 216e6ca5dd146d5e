// Proof of work before a form is sent (ALTCHA format), for forms that carry
// data-proof-url: the form's fields are posted there first; if the answer asks for a
// proof, the number whose SHA-256 with the salt gives the challenge is searched for and
// put into the form's hidden "altcha" field, then the form is sent. Nothing else is sent.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-proof-url]");
  if (!forms.length || !window.crypto || !window.crypto.subtle || !window.fetch) return;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) out += bytes[i].toString(16).padStart(2, "0");
    return out;
  }
  async function solve(task) {
    var encoder = new TextEncoder();
    for (var n = 0; n <= task.maxnumber; n++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(task.salt + n));
      if (hex(digest) === task.challenge) return n;
    }
    return null;
  }
  Array.prototype.forEach.call(forms, function (form) {
    var field = form.querySelector("input[name=altcha]");
    var status = form.querySelector("[data-proof-status]");
    var button = form.querySelector("button[type=submit]");
    var ready = false;
    form.addEventListener("submit", async function (event) {
      if (ready || !field) return;
      event.preventDefault();
      if (!form.reportValidity()) return;
      button.disabled = true;
      try {
        var answer = await fetch(form.dataset.proofUrl, {
          method: "POST", body: new FormData(form), cache: "no-store", credentials: "same-origin"
        });
        var task = answer.ok ? await answer.json() : { required: false };
        if (task.required) {
          if (status) status.textContent = form.dataset.proofWorking || "";
          var number = await solve(task);
          if (number !== null) {
            field.value = btoa(JSON.stringify({
              algorithm: task.algorithm, challenge: task.challenge, number: number,
              salt: task.salt, signature: task.signature
            }));
          }
        }
      } catch (e) {
        // The server judges what comes: without a proof it says so in the form.
      }
      ready = true;
      form.submit();
    });
  });
})();
