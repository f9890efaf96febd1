// Print buttons (marked data-print) are rendered hidden, since without JavaScript they could do nothing; here each
// is revealed and opens the browser's print dialog. The page itself works without them.
"use strict";

document.querySelectorAll("button[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
