// The "Insert" button beside the canned answers of an agent's reply form. Each option carries its text, already in
// the requester's language with its article's address (data-text), and the article's slug (data-article). With
// JavaScript the text goes in at the cursor (at the end if the message was never touched), without reloading, and
// the article is chosen in "solved by this article". Without JavaScript the button posts the form and the page
// comes back with the text added after the message.
"use strict";

document.querySelectorAll("[data-canned-answers]").forEach((picker) => {
  const select = picker.querySelector("select");
  const button = picker.querySelector("button[name='insert']");
  const message = document.getElementById(picker.dataset.cannedAnswers);
  const status = picker.querySelector("[role='status']");
  if (!select || !button || !message) {
    return;
  }
  let touched = false;
  message.addEventListener("focus", () => {
    touched = true;
  });

  button.addEventListener("click", (event) => {
    const option = select.selectedOptions[0];
    if (!option || !option.value) {
      event.preventDefault();
      select.focus();
      return;
    }
    event.preventDefault();
    const text = option.dataset.text || "";
    const start = touched ? message.selectionStart : message.value.length;
    const end = touched ? message.selectionEnd : message.value.length;
    const before = message.value.slice(0, start);
    const after = message.value.slice(end);
    // A blank line between the answer and the text around it, whatever the cursor had on either side.
    const gap = (side, edge) => (!side || edge("\n\n") ? "" : edge("\n") ? "\n" : "\n\n");
    const gapBefore = gap(before, (end) => before.endsWith(end));
    const gapAfter = gap(after, (start) => after.startsWith(start));
    message.value = before + gapBefore + text + gapAfter + after;
    const caret = (before + gapBefore + text).length;
    message.focus();
    message.setSelectionRange(caret, caret);

    const solved = document.getElementById(picker.dataset.solvedSelect || "");
    const article = option.dataset.article;
    if (solved && article && Array.from(solved.options).some((choice) => choice.value === article)) {
      solved.value = article;
    }
    if (status) {
      status.textContent = "";
      window.setTimeout(() => {
        status.textContent = picker.dataset.insertedLabel || "";
      }, 50);
    }
  });
});
