// Security keys and passkeys (WebAuthn, R14). A form marked data-webauthn="register" adds a key, one marked
// data-webauthn="authenticate" proves one (second sign-in step, confirming it is you). Pressing its button marked
// data-webauthn-submit asks the portal for options (data-options-url), hands them to the browser, puts the browser's
// answer in the form's hidden "credential" field and sends the form: the server checks the answer and redirects
// (or shows the page again with an error). Other submit buttons of the form (a code) are left alone.
//
// Progress goes to a polite live region, errors to an alert region, in words taken from the page (translated).
"use strict";

(() => {
  const toBase64url = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (const byte of bytes) {
      binary += String.fromCharCode(byte);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const fromBase64url = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  };

  const descriptors = (list) => (list || []).map((item) => ({ ...item, id: fromBase64url(item.id) }));

  // The options arrive as JSON (py_webauthn's options_to_json): binary members are base64url text.
  const creationOptions = (json) => ({
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  });

  const requestOptions = (json) => ({
    ...json,
    challenge: fromBase64url(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  });

  const registrationJSON = (credential) => {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: typeof response.getTransports === "function" ? response.getTransports() : [],
      },
    };
  };

  const assertionJSON = (credential) => {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : undefined,
      },
    };
  };

  class Failure extends Error {}

  const setUp = (form) => {
    const feedback = form.querySelector("[data-webauthn-feedback]");
    const status = feedback.querySelector("[data-webauthn-status]");
    const alertBox = feedback.querySelector("[data-webauthn-error]");
    const messages = feedback.dataset;
    const registering = form.dataset.webauthn === "register";
    let busy = false;

    const say = (text) => {
      status.textContent = text;
    };
    const fail = (text) => {
      say("");
      alertBox.hidden = false;
      alertBox.textContent = text; // announced by role="alert"; focus stays on the button, ready for another try
    };
    const clearError = () => {
      alertBox.hidden = true;
      alertBox.textContent = "";
    };

    const messageFor = (error) => {
      if (error instanceof Failure) {
        return error.message;
      }
      switch (error && error.name) {
        case "NotAllowedError":
        case "AbortError":
          return messages.msgNotAllowed;
        case "InvalidStateError":
          return messages.msgInvalidState;
        case "SecurityError":
          return messages.msgSecurity;
        case "NotSupportedError":
          return messages.msgUnsupported;
        case "TypeError":
          return messages.msgNetwork;
        default:
          return messages.msgGeneric;
      }
    };

    const fetchOptions = async () => {
      const response = await fetch(form.dataset.optionsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
      });
      const type = response.headers.get("Content-Type") || "";
      if (!type.includes("application/json")) {
        // The session ended and the portal answered with a page: go there, it says what to do.
        window.location.assign(response.url);
        return null;
      }
      const data = await response.json();
      if (!response.ok) {
        if (data.redirect) {
          window.location.assign(data.redirect);
          return null;
        }
        throw new Failure(data.error || messages.msgGeneric);
      }
      return data;
    };

    // Fields the server needs along with the key (a name for a new key, the password when confirming it is you):
    // checked first, so the person does not touch their key for an answer the server will refuse anyway.
    const missingField = () => {
      const name = form.elements.namedItem("name");
      if (registering && name && !name.value.trim()) {
        return [name, messages.msgNameRequired];
      }
      const password = form.elements.namedItem("password");
      if (password && !password.value) {
        return [password, messages.msgPasswordRequired];
      }
      return null;
    };

    const run = async () => {
      const missing = missingField();
      if (missing) {
        fail(missing[1]);
        missing[0].focus();
        return;
      }
      say(messages.msgWorking);
      const options = await fetchOptions();
      if (options === null) {
        return;
      }
      let answer;
      if (registering) {
        answer = registrationJSON(await navigator.credentials.create({ publicKey: creationOptions(options) }));
      } else {
        answer = assertionJSON(await navigator.credentials.get({ publicKey: requestOptions(options) }));
      }
      form.elements.credential.value = JSON.stringify(answer);
      say(messages.msgChecking);
      // The plain submit() does not fire this handler again; the server answers with a redirect or the page.
      HTMLFormElement.prototype.submit.call(form);
    };

    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (!button || !button.hasAttribute("data-webauthn-submit")) {
        return; // another way to sign in on the same form (a code): not ours
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      clearError();
      if (!window.PublicKeyCredential || !navigator.credentials) {
        fail(messages.msgUnsupported);
        return;
      }
      busy = true;
      run()
        .catch((error) => fail(messageFor(error)))
        .finally(() => {
          busy = false;
        });
    });
  };

  document.querySelectorAll("form[data-webauthn]").forEach(setUp);
})();
