// Progressive enhancement of the schedule form. Without this script the form reads the
// time as UTC (its label says so). With it: the hidden timeZone field carries the
// browser's IANA zone (the server converts and stores UTC), the label names that zone,
// the chosen time is said in words and in UTC as it is typed, and scheduled times in
// the table also show the reader's local time.
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { zone = ""; }
  if (!zone) return;

  function parts(date, timeZone) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: timeZone, weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function dayAndTime(date, timeZone) {
    var p = parts(date, timeZone);
    return p.weekday + " " + p.day + " " + p.month + " " + p.year + " at " + p.hour + ":" + p.minute;
  }
  function relative(date) {
    var minutes = Math.round((date.getTime() - Date.now()) / 60000);
    var size = Math.abs(minutes);
    var count = size < 60 ? size : size < 2880 ? Math.round(size / 60) : Math.round(size / 1440);
    var unit = size < 60 ? "minute" : size < 2880 ? "hour" : "day";
    if (count === 0) return "now";
    var amount = count + " " + unit + (count === 1 ? "" : "s");
    return minutes > 0 ? "in " + amount : amount + " ago";
  }
  function localTime(date) {
    var p = parts(date, zone);
    return p.hour + ":" + p.minute + " your time (" + zone + ")";
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-form=schedule]"), function (form) {
    var field = form.querySelector("[data-time-zone]");
    var label = form.querySelector("[data-time-zone-label]");
    var input = form.querySelector("input[name=runAt]");
    var words = form.querySelector("[data-run-at-words]");
    if (!field || !input) return;
    field.value = zone;
    if (label) label.textContent = "When (" + zone + ")";
    function update() {
      if (!words) return;
      // A datetime-local value without an offset is read in the browser's own zone.
      var chosen = input.value ? new Date(input.value) : null;
      if (!chosen || isNaN(chosen.getTime())) { words.textContent = ""; return; }
      var utc = dayAndTime(chosen, "UTC") + " UTC";
      words.textContent = chosen.getTime() <= Date.now()
        ? "That time (" + utc + ") has passed: choose a time in the future."
        : "It will run " + relative(chosen) + ", on " + utc + (zone === "UTC" ? "" : " (" + localTime(chosen) + ")") + ".";
    }
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    update();
  });

  if (zone === "UTC") return;
  Array.prototype.forEach.call(document.querySelectorAll("time[data-local-time]"), function (time) {
    var at = new Date(time.getAttribute("datetime"));
    if (!isNaN(at.getTime())) time.appendChild(document.createTextNode(" (" + dayAndTime(at, zone) + " your time, " + zone + ")"));
  });
})();
