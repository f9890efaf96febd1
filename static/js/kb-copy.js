// "Copy" buttons next to the value cells of the settings tables in knowledge-base articles (IMAP server, port…):
// the tables kb/rendering.py marks with the class "settings" (header "Paramètre | Valeur"), and no other.
// Progressive enhancement: without JavaScript the table is read and selected as usual. Labels come from data-*
// attributes of the article body, translated by the template. Each button's accessible name says which value it
// copies ("Copy Port entrant"), and a polite live region announces the result.
"use strict";

document.querySelectorAll("[data-copy-tables]").forEach((container) => {
  const labels = {
    copy: container.dataset.copyLabel || "Copy",
    copied: container.dataset.copiedLabel || "Copied",
    failed: container.dataset.copyFailedLabel || "Copy failed",
  };
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  container.appendChild(status);

  container.querySelectorAll("table.settings").forEach((table) => {
    const headers = Array.from(table.querySelectorAll("thead th")).map((cell) => cell.textContent.trim());
    table.querySelectorAll("tbody tr").forEach((row) => {
      const cells = Array.from(row.cells);
      if (cells.length < 2) {
        return; // a one-column table has no label/value pairs
      }
      const rowLabel = cells[0].textContent.trim();
      cells.slice(1).forEach((cell, index) => {
        const value = cell.textContent.trim();
        if (!value) {
          return;
        }
        const column = cells.length > 2 && headers[index + 1] ? `, ${headers[index + 1]}` : "";
        const button = document.createElement("button");
        button.type = "button";
        button.className = "kb-copy";
        button.textContent = labels.copy;
        const hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = ` ${rowLabel}${column}`;
        button.appendChild(hidden);
        button.addEventListener("click", () => {
          copyText(value).then(
            () => announce(`${labels.copied}: ${rowLabel}${column}`),
            () => announce(labels.failed),
          );
        });
        cell.appendChild(document.createTextNode(" "));
        cell.appendChild(button);
      });
    });
  });

  function announce(message) {
    // Emptied first so that copying the same value twice is announced twice.
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = message;
    }, 50);
  }
});

function copyText(value) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(value);
  }
  // Plain-HTTP pages (a development server) have no Clipboard API: copy through a temporary, invisible field.
  return new Promise((resolve, reject) => {
    const previous = document.activeElement;
    const field = document.createElement("textarea");
    field.value = value;
    field.setAttribute("readonly", "");
    field.className = "visually-hidden";
    document.body.appendChild(field);
    field.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    field.remove();
    if (previous instanceof HTMLElement) {
      previous.focus(); // selecting the field took the focus away from the button
    }
    if (copied) {
      resolve();
    } else {
      reject(new Error("copy refused"));
    }
  });
}
