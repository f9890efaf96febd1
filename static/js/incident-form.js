// The incident form, enhanced. Without JavaScript everything still works: the server pre-fills the time, the
// browser and the account, "Look for answers" shows the help pages, and the error summary is an alert.
// With it: focus moves to the error summary, the time and zone become the browser's own on a first visit, the
// "which other browser" question appears only after "yes", and help pages are suggested while the person types
// the error message or the title (debounced, stale answers dropped, results announced politely).
"use strict";

(function () {
  const form = document.querySelector("[data-incident-form]");
  if (!form) {
    return;
  }

  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // --- Time and zone of a first visit: the browser's clock and zone are the person's ---------------------------
  if (form.dataset.fresh === "1") {
    const zoneSelect = form.querySelector("select[name='occurred_at_tz']");
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zoneSelect && zone) {
      if (!Array.from(zoneSelect.options).some((option) => option.value === zone)) {
        zoneSelect.add(new Option(zone, zone));
      }
      zoneSelect.value = zone;
    }
    const when = form.querySelector("input[name='occurred_at']");
    if (when) {
      const now = new Date();
      const pad = (value) => String(value).padStart(2, "0");
      when.value =
        `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}` +
        `T${pad(now.getHours())}:${pad(now.getMinutes())}`;
    }
  }

  // --- "Which other browser" only after "yes" --------------------------------------------------------------------
  const otherBrowser = form.querySelector("[data-field='other_browser']");
  const tried = form.querySelectorAll("input[name='other_browser_tried']");
  if (otherBrowser && tried.length) {
    const update = () => {
      const yes = form.querySelector("input[name='other_browser_tried'][value='yes']");
      const hasError = otherBrowser.querySelector("[aria-invalid='true']");
      otherBrowser.hidden = !(yes && yes.checked) && !hasError;
    };
    tried.forEach((radio) => radio.addEventListener("change", update));
    update();
  }

  // --- Live suggestions from the knowledge base ------------------------------------------------------------------
  const results = form.querySelector("[data-suggestion-results]");
  const sources = ["title", "error_message"]
    .map((name) => form.querySelector(`[name='${name}']`))
    .filter(Boolean);
  const button = form.querySelector("[data-suggest-button]");
  if (!results || !sources.length || !window.fetch) {
    return;
  }
  if (button) {
    button.hidden = true; // suggestions now come by themselves
  }
  const labels = {
    one: form.dataset.foundOne,
    many: form.dataset.foundMany,
    none: form.dataset.foundNone,
    solved: form.dataset.solvedLabel,
  };
  let timer = null;
  let controller = null;
  let lastText = null;

  function render(hits) {
    results.replaceChildren();
    const count = document.createElement("p");
    count.className = "suggestion-count";
    if (!hits.length) {
      count.textContent = labels.none;
      results.appendChild(count);
      return;
    }
    count.textContent = hits.length === 1 ? labels.one : labels.many.replace("%(count)s", String(hits.length));
    results.appendChild(count);
    const list = document.createElement("ul");
    list.className = "suggestion-list";
    hits.forEach((hit) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = hit.url;
      link.textContent = hit.title;
      item.appendChild(link);
      if (hit.summary) {
        const text = document.createElement("p");
        text.className = "kb-summary";
        text.textContent = hit.summary;
        item.appendChild(text);
      }
      const solved = document.createElement("button");
      solved.type = "submit";
      solved.setAttribute("form", "deflect-form");
      solved.name = "article";
      solved.value = hit.slug;
      solved.textContent = labels.solved;
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = `: ${hit.title}`;
      solved.appendChild(hidden);
      item.appendChild(solved);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  function lookUp() {
    const text = sources.map((field) => field.value.trim()).filter(Boolean).join(" ");
    if (text === lastText) {
      return;
    }
    lastText = text;
    if (controller) {
      controller.abort();
    }
    if (text.length < 3) {
      results.replaceChildren();
      return;
    }
    controller = new AbortController();
    const url = new URL(form.dataset.suggestUrl, window.location.href);
    url.searchParams.set("text", text.slice(0, 500));
    url.searchParams.set("lang", form.dataset.language || "fr");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((payload) => render(payload.results || []))
      .catch((error) => {
        if (error.name !== "AbortError") {
          lastText = null; // try again on the next keystroke; the server-side button still works
        }
      });
  }

  sources.forEach((field) =>
    field.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookUp, 350);
    }),
  );
})();
