// The concern form's proof of work (ALTCHA format): find the number whose SHA-256 with the
// challenge's salt gives the challenge, then send the form. Nothing else is sent or stored.
(function () {
  "use strict";
  var form = document.getElementById("concern-form");
  if (!form || !window.crypto || !window.crypto.subtle) return;
  var field = document.getElementById("concern-proof");
  var status = document.getElementById("concern-proof-status");
  var button = document.getElementById("concern-submit");
  var solved = false;

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
  form.addEventListener("submit", async function (event) {
    if (solved) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    button.disabled = true;
    status.textContent = form.dataset.working || status.textContent;
    try {
      var task = await (await fetch(form.dataset.proof, { cache: "no-store" })).json();
      var number = await solve(task);
      if (number === null) throw new Error("no solution");
      field.value = btoa(JSON.stringify({
        algorithm: task.algorithm, challenge: task.challenge, number: number,
        salt: task.salt, signature: task.signature
      }));
      solved = true;
      form.submit();
    } catch (e) {
      button.disabled = false;
      status.textContent = form.dataset.failed || "";
    }
  });
})();
