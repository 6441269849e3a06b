/* Optional help for the survey page; everything works without it.
   - keeps the answers in this browser (localStorage) while filling, so a dropped connection or a closed tab
     loses nothing, and clears them on the thank-you page;
   - shows how many questions are answered;
   - disables the button while sending (a second tap would be harmless anyway: the form's id is the same). */
(function () {
  "use strict";
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  var done = document.querySelector("[data-clear-key]");
  if (done && store) { store.removeItem(done.getAttribute("data-clear-key")); return; }

  var form = document.getElementById("survey");
  if (!form) return;
  var key = form.getAttribute("data-store-key");

  function visible(el) { return el.offsetParent !== null; }
  function snapshot() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.name === "website" || el.name === "csrfmiddlewaretoken") return;
      if ((el.type === "radio" || el.type === "checkbox")) {
        if (el.checked) (data[el.name] = data[el.name] || []).push(el.value);
      } else if (el.value) { data[el.name] = [el.value]; }
    });
    data.__client_id = form.elements.client_id.value;
    data.__started = form.elements.started.value;
    return data;
  }
  function restore() {
    if (!store) return;
    var saved;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    if (!saved) return;
    var serverFilled = form.querySelector("input:checked:not([name=respondent_type]), textarea:not(:empty)");
    if (serverFilled) return; /* the server re-displayed the answers: they win */
    Object.keys(saved).forEach(function (name) {
      if (name.indexOf("__") === 0) return;
      var values = saved[name];
      Array.prototype.forEach.call(form.querySelectorAll("[name='" + name + "']"), function (el) {
        if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) >= 0;
        else el.value = values[0] || "";
      });
    });
    /* Keep the first visit's id and start time, so a resend after a lost connection is the same answer. */
    if (saved.__client_id) form.elements.client_id.value = saved.__client_id;
    if (saved.__started) form.elements.started.value = saved.__started;
  }
  function progress() {
    var text = document.getElementById("progress-text");
    if (!text) return;
    var groups = form.querySelectorAll(".q[id^='q-']");
    var total = 0, answered = 0;
    Array.prototype.forEach.call(groups, function (group) {
      if (!visible(group)) return;
      total += 1;
      if (group.querySelector("input:checked") || (group.querySelector("textarea") || {}).value) answered += 1;
    });
    text.textContent = text.getAttribute("data-template").replace("%(done)s", answered).replace("%(total)s", total);
  }
  function save() {
    if (store) { try { store.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* storage full: ignore */ } }
    progress();
  }
  restore();
  progress();
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  form.addEventListener("submit", function () {
    save();
    var button = form.querySelector(".send");
    if (button) { button.disabled = true; setTimeout(function () { button.disabled = false; }, 8000); }
  });
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
