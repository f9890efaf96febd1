// Show-password buttons (R27). They are rendered hidden, so without JavaScript the form still works with masked
// fields; here each is revealed and switches its field between masked and plain text.
"use strict";

document.querySelectorAll("button[data-password-toggle]").forEach((button) => {
  const input = document.getElementById(button.getAttribute("aria-controls"));
  if (!input) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    const reveal = input.type === "password";
    input.type = reveal ? "text" : "password";
    button.setAttribute("aria-pressed", String(reveal));
  });
  // Mask again before sending, so the browser does not keep the password in its history of typed text.
  if (input.form) {
    input.form.addEventListener("submit", () => {
      input.type = "password";
      button.setAttribute("aria-pressed", "false");
    });
  }
});
