/* Enumerator entry screen: Enter moves to the next field (jumping over questions whose skip condition is not
   met), Ctrl+Enter saves, a second submit while the first is under way is ignored. Works without it too:
   Tab moves, and the disabled default button keeps Enter from saving a half-typed form. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-entry]");
  if (!form) return;
  var save = form.querySelector("button[name=save]");
  var sending = false;

  function skipped(field) {
    var row = field.closest ? field.closest("[data-when]") : null;
    if (!row) return false;
    var filter = form.elements[row.getAttribute("data-when")];
    var values = row.getAttribute("data-values").split(" ");
    return !filter || values.indexOf(filter.value.trim()) < 0;
  }

  function refresh() {
    var rows = form.querySelectorAll("[data-when]");
    for (var i = 0; i < rows.length; i++) {
      var input = rows[i].querySelector("input");
      rows[i].classList.toggle("skipped", skipped(input) && !input.value);
    }
  }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      var typed = /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) && el.type !== "hidden";
      return (typed && !el.disabled) || el === save;
    });
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter") return;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      save.click();
      return;
    }
    if (target.tagName === "BUTTON" || target.tagName === "TEXTAREA") return;
    event.preventDefault();
    var list = fields();
    for (var i = list.indexOf(target) + 1; i < list.length; i++) {
      if (list[i] === save || !skipped(list[i]) || list[i].value) {
        list[i].focus();
        if (list[i].select) list[i].select();
        return;
      }
    }
  });
  form.addEventListener("input", refresh);
  form.addEventListener("submit", function (event) {
    if (sending) event.preventDefault();
    sending = true;
  });
  window.addEventListener("pageshow", function () { sending = false; });
  refresh();
})();
