// The agent desk's keyboard: everything here also works without this file, only slower.
(function () {
  "use strict";
  var desk = document.querySelector("[data-desk]");
  if (!desk) return;
  var search = document.getElementById("desk-q");

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function results() {
    return Array.prototype.slice.call(document.querySelectorAll("#results [data-result]"));
  }
  function focusSearch() {
    search.focus();
    search.select();
  }

  // The call starts when the agent starts typing, not when the page was loaded.
  var fresh = !search.value;
  // The agent's words go with the logged contact (the editors' gap list counts those the
  // catalog could not answer).
  search.addEventListener("input", function () {
    var asked = document.getElementById("log-query");
    if (asked) asked.value = search.value;
  });
  search.addEventListener("input", function () {
    if (!fresh) return;
    fresh = false;
    var now = new Date();
    var offset = -now.getTimezoneOffset();
    var pad = function (n) { return String(Math.floor(Math.abs(n))).padStart(2, "0"); };
    var stamp = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) +
      "T" + pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds()) +
      (offset >= 0 ? "+" : "-") + pad(offset / 60) + ":" + pad(offset % 60);
    document.getElementById("log-started").value = stamp;
    document.getElementById("search-started").value = stamp;
  });

  // The contact is logged for the municipality chosen now (the results confirm it later).
  var municipality = document.getElementById("desk-municipality");
  if (municipality) {
    municipality.addEventListener("change", function () {
      var logged = document.getElementById("log-municipality");
      if (logged) logged.value = municipality.value;
    });
  }

  // Forwarding carries the call as it is now: the words, the town, the service, the start.
  function forwardUrl() {
    var params = new URLSearchParams();
    var value = function (id) { var el = document.getElementById(id); return el ? el.value : ""; };
    params.set("q", search.value);
    params.set("gemeinde", value("desk-municipality"));
    params.set("leistung", value("log-service"));
    params.set("kanal", value("log-channel"));
    params.set("beginn", value("log-started"));
    return "/desk/weiterleiten?" + params.toString();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-forward]");
    if (link) link.href = forwardUrl();
    // A result opens for the municipality chosen now, even if the list on screen was
    // found before the choice (its rerun still on the way).
    var result = event.target.closest && event.target.closest("[data-result]");
    var chosen = document.getElementById("desk-municipality");
    if (result && chosen) {
      var address = new URL(result.href, window.location.href);
      address.searchParams.set("gemeinde", chosen.value);
      result.href = address.pathname + address.search;
    }
    // A town recognised in the caller's words becomes the municipality; the search reruns.
    var town = event.target.closest && event.target.closest("[data-town]");
    var select = document.getElementById("desk-municipality");
    if (town && select) {
      event.preventDefault();
      select.value = town.dataset.town;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      search.focus();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      var key = event.key.toLowerCase();
      var button = document.querySelector('[data-outcome-key="' + key + '"]');
      if (button) {
        event.preventDefault();
        button.click();
      } else if (key === "s") {
        event.preventDefault();
        focusSearch();
      } else if (key === "k") {
        event.preventDefault();
        document.getElementById("log-channel").focus();
      } else if (key === "m") {
        var mail = document.getElementById("mail-to");
        if (mail) { event.preventDefault(); mail.focus(); }
      } else if (key === "t") {
        // Open the card's booking section at its first field.
        var booking = document.getElementById("booking");
        var place = document.getElementById("booking-location");
        if (booking && place) {
          event.preventDefault();
          booking.open = true;
          place.focus();
        }
      } else if (key === "w") {
        var hint = document.querySelector("[data-town]");
        if (hint) { event.preventDefault(); hint.click(); }
      } else if (key === "c") {
        event.preventDefault();
        document.getElementById("lookup-code").focus();
      } else if (key === "n") {
        var take = document.getElementById("take-call");
        if (take) { event.preventDefault(); take.click(); }
      }
      return;
    }
    if (event.key === "/" && !typing(target)) {
      event.preventDefault();
      focusSearch();
      return;
    }
    var list = results();
    var at = list.indexOf(target);
    if (event.key === "ArrowDown" && (target === search || at >= 0) && list.length) {
      event.preventDefault();
      list[Math.min(at + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) search.focus(); else list[at - 1].focus();
    } else if (event.key === "Escape" && target === search && search.value) {
      search.value = "";
    }
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    // A refused e-mail (bad address, mail server down) is shown where the agent looks,
    // and so is a refused booking, cancellation or lookup (forms marked data-show-errors).
    var elt = event.detail.elt;
    var shows = elt && elt.closest && elt.closest("[data-show-errors]");
    if ((event.detail.target && event.detail.target.id === "mail-status") ||
        (shows && event.detail.xhr.status < 500)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function focusFirst(ids) {
    for (var i = 0; i < ids.length; i++) {
      var found = document.getElementById(ids[i]);
      if (found) { found.focus(); return; }
    }
  }
  // The day field follows the free times shown (a day link was followed, or a new place).
  function syncDay(timesId, dayId) {
    var times = document.getElementById(timesId);
    var day = document.getElementById(dayId);
    if (times && day && times.dataset.day) day.value = times.dataset.day;
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var id = event.detail.target && event.detail.target.id;
    if (id === "card") {
      focusFirst(["card-title", "appointment-title"]);
    } else if (id === "booking") {
      focusFirst(["booked-heading", "booking-error"]);
    } else if (id === "booking-times" || id === "move-times") {
      syncDay(id, id === "booking-times" ? "booking-day" : "move-day");
      // A followed day link went away with the swap; carry on at the day's times.
      var active = document.activeElement;
      if (!active || active === document.body || !active.isConnected) {
        var first = document.querySelector("#" + id + " input[type=radio]") ||
          document.querySelector("#" + id + " a[aria-current]");
        if (first) first.focus();
      }
    }
  });
})();
