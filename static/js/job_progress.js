/* Live progress of the index computation on the dashboard, without leaving the page. Optional: without it the
   "Compute" button posts normally and the job page (/jobs/<id>/) refreshes itself.
   - form[data-compute] is sent with fetch (Accept: application/json); the answer names the job's status URL.
   - Every [data-job-url] box (a computation already under way) and the new job are polled every second
     through the same /jobs/<id>/ URL (JSON); when the job is done the page reloads to show the new run. */
(function () {
  "use strict";
  var POLL_MS = 1000;

  function show(box, text) {
    var line = box.querySelector("[data-job-text]");
    if (line) line.textContent = text;
  }

  function poll(box, url, texts) {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (job) {
        var bar = box.querySelector("progress");
        if (bar && job.progress_total) {
          bar.max = job.progress_total;
          bar.value = job.progress_done;
        }
        if (job.state === "done") {
          show(box, texts.done);
          window.location.reload();
        } else if (job.state === "failed") {
          var messages = (job.errors || []).map(function (e) { return e.message; });
          show(box, texts.failed + " " + messages.join(" "));
        } else {
          window.setTimeout(function () { poll(box, url, texts); }, POLL_MS);
        }
      })
      .catch(function () {
        window.setTimeout(function () { poll(box, url, texts); }, POLL_MS * 3);
      });
  }

  function textsOf(element) {
    return {
      done: element.getAttribute("data-text-done") || "",
      failed: element.getAttribute("data-text-failed") || "",
      started: element.getAttribute("data-text-started") || "",
      error: element.getAttribute("data-text-error") || ""
    };
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-job-url]"), function (box) {
    poll(box, box.getAttribute("data-job-url"), textsOf(box));
  });

  var form = document.querySelector("form[data-compute]");
  var box = document.querySelector("[data-compute-progress]");
  if (!form || !box || !window.fetch) return;
  var texts = textsOf(form);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) return;
    button.disabled = true; // a double click queues one computation, not two
    box.hidden = false;
    show(box, texts.started);
    fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) {
        if (response.status !== 202) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { poll(box, data.status_url, texts); })
      .catch(function () {
        show(box, texts.error);
        button.disabled = false;
      });
  });
})();
