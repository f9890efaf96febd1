// Anti-robot check of the sign-in form (R7): find a counter such that SHA-256("<token>:<counter>") starts with the
// number of zero bits the server asked for. It starts as soon as the page loads, so it is usually done before the
// person has typed their password; a submit made earlier waits for it. The server verifies the answer before it
// looks at the password.
"use strict";

(() => {
  const box = document.querySelector("[data-challenge]");
  if (!box || !window.crypto || !window.crypto.subtle) {
    return;
  }
  const form = box.closest("form");
  const token = form.elements.challenge.value;
  const answer = form.elements.challenge_answer;
  const status = box.querySelector("[data-challenge-status]");
  const bits = Number(box.dataset.bits);
  const encoder = new TextEncoder();
  const BATCH = 512;

  const zeroBits = (digest) => {
    const bytes = new Uint8Array(digest);
    let count = 0;
    for (const byte of bytes) {
      if (byte === 0) {
        count += 8;
        continue;
      }
      return count + Math.clz32(byte) - 24;
    }
    return count;
  };

  // Digest promises settle without returning to the event loop: give the page a turn between batches so typing,
  // painting and the load event are never held up by the search.
  const yieldToPage = () =>
    new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });

  const solve = async () => {
    for (let start = 0; ; start += BATCH) {
      await yieldToPage();
      const tries = [];
      for (let counter = start; counter < start + BATCH; counter += 1) {
        tries.push(crypto.subtle.digest("SHA-256", encoder.encode(`${token}:${counter}`)));
      }
      const digests = await Promise.all(tries);
      const found = digests.findIndex((digest) => zeroBits(digest) >= bits);
      if (found >= 0) {
        return String(start + found);
      }
    }
  };

  let submitWaiting = false;
  const solved = solve().then((value) => {
    answer.value = value;
    status.textContent = box.dataset.doneText;
    if (submitWaiting) {
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    if (!answer.value) {
      event.preventDefault();
      submitWaiting = true;
      status.textContent = box.dataset.waitText;
    }
  });
  return solved;
})();
