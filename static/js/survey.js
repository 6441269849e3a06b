/* Optional help for the survey page; everything works without it.
   - keeps the answers, the form's id (client_id) and its start time in this browser (localStorage) while
     filling, so a reload, a dropped connection or a closed tab loses nothing and a resend is the same answer;
   - on the thank-you page, marks the answers of this link as sent: a form page that comes back afterwards
     (Back, the history, the browser's back-forward cache) says so instead of offering to send them again;
   - shows how many questions are answered;
   - keeps a multiple choice within its maximum, saying why next to the question;
   - disables the button while sending (a second tap would be harmless anyway: the form's id is the same). */
(function () {
  "use strict";
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  function read(key) {
    if (!store) return null;
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(key, value) {
    if (store) { try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full: ignore */ } }
  }

  var done = document.querySelector("[data-sent-key]");
  if (done) {
    var doneKey = done.getAttribute("data-sent-key");
    var sent = read(doneKey) || {};
    write(doneKey, { __sent: sent.__client_id || true, __sent_at: Date.now() });
    return;
  }

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
    var saved = read(key);
    if (!saved || saved.__sent) return;
    /* Keep the first visit's id and start time whatever else happens: the answers below belong to them, so a
       resend after a reload or a lost reply is the same answer, counted once. */
    if (saved.__client_id) form.elements.client_id.value = saved.__client_id;
    if (saved.__started) form.elements.started.value = saved.__started;
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
  }
  /* The answers of this page were sent (the thank-you page said so): hide the form, say it was sent. */
  function showSent() {
    var saved = read(key);
    var notice = document.getElementById("sent-notice");
    if (!saved || !saved.__sent || !notice) return false;
    form.hidden = true;
    Array.prototype.forEach.call(document.querySelectorAll(".error-summary, .wait-notice"), function (el) {
      el.hidden = true;
    });
    notice.hidden = false;
    notice.focus();
    return true;
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
    write(key, snapshot());
    progress();
  }
  /* A multiple choice with a maximum: a tick beyond it is undone, and the message next to the question (a
     polite live region) says why; it goes once a choice is unticked. */
  function keepWithinMax(event) {
    var box = event.target;
    if (box.type !== "checkbox") return;
    var group = box.closest("[data-max]");
    if (!group) return;
    var max = parseInt(group.getAttribute("data-max"), 10);
    var ticked = group.querySelectorAll("input[type=checkbox]:checked").length;
    var message = group.querySelector(".limit");
    if (box.checked && ticked > max) {
      box.checked = false;
      if (message) message.textContent = group.getAttribute("data-max-message");
    } else if (message && ticked < max) {
      message.textContent = "";
    }
  }
  restore();
  form.addEventListener("change", keepWithinMax);
  form.addEventListener("change", save);
  form.addEventListener("input", save);
  form.addEventListener("submit", function () {
    save();
    var button = form.querySelector(".send");
    if (button) { button.disabled = true; setTimeout(function () { button.disabled = false; }, 8000); }
  });
  var again = document.getElementById("answer-again");
  if (again) {
    again.addEventListener("click", function () { if (store) store.removeItem(key); });
  }
  /* pageshow: on the first load, and again when the browser shows this page from its history (Back), where
     the script does not run again and the browser may have put earlier answers back into the form. */
  window.addEventListener("pageshow", function () {
    if (showSent()) return;
    var button = form.querySelector(".send");
    if (button) button.disabled = false;
    progress();
  });
  var message = document.getElementById("wait-notice") || document.getElementById("error-summary");
  if (message && !(read(key) || {}).__sent) message.focus();
})();
