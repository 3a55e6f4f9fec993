// Autosave for application sections, and a safety copy of unsaved answers on this device.
//
// As people type, answers are copied to localStorage and, after a pause, saved to the server. If the
// session has expired (or the network failed), the copy stays and is put back into the form the next
// time the page opens, so nothing typed is lost. Signing out clears every copy from the device.

const PREFIX = "sandbox-draft:";
const DELAY_MS = 2000;

function snapshot(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name || element.type === "hidden" || element.type === "submit") continue;
    if (element.type === "radio" || element.type === "checkbox") {
      values[element.name] = values[element.name] || [];
      if (element.checked) values[element.name].push(element.value);
    } else {
      values[element.name] = element.value;
    }
  }
  return values;
}

function restore(form, values) {
  for (const element of form.elements) {
    if (!(element.name in values) || element.type === "hidden") continue;
    const value = values[element.name];
    if (element.type === "radio" || element.type === "checkbox") {
      element.checked = Array.isArray(value) && value.includes(element.value);
    } else {
      element.value = value;
    }
  }
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function setStatus(form, text) {
  const status = form.querySelector("[data-autosave-status]");
  if (status) status.textContent = text;
}

function showRestoredBanner(form, messages) {
  const banner = document.createElement("div");
  banner.className = "govuk-inset-text app-restored";
  banner.textContent = messages.restored;
  form.prepend(banner);
}

function setUp(form) {
  // The page supplies the messages, so they are translated with the rest of the service.
  const messages = JSON.parse(form.dataset.autosaveMessages || "{}");
  const key = PREFIX + form.dataset.autosaveKey;
  const version = () => form.elements.section_version.value;
  // A copy is only put back onto the version it was typed on: once anyone has saved the section since
  // (this person with "Save and continue", or a colleague), the copy is out of date and is dropped.
  const stored = JSON.parse(window.localStorage.getItem(key) || "null");
  if (stored && stored.version === version() && !same(stored.values, snapshot(form))) {
    restore(form, stored.values);
    showRestoredBanner(form, messages);
  } else if (stored) {
    window.localStorage.removeItem(key);
  }

  let timer = null;
  const save = async () => {
    const data = new FormData(form);
    data.delete("section_complete");
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
      if (response.redirected || !isJson) {
        setStatus(form, messages.signedOut);
        return;
      }
      const body = await response.json();
      if (response.ok) {
        form.elements.section_version.value = body.section_version;
        window.localStorage.removeItem(key);
        setStatus(form, messages.saved + " " + new Date(body.saved_at).toLocaleTimeString());
      } else if (response.status === 409) {
        setStatus(form, messages.conflict);
      } else {
        setStatus(form, messages.invalid);
      }
    } catch (error) {
      setStatus(form, messages.offline);
    }
  };
  const changed = () => {
    window.localStorage.setItem(key, JSON.stringify({ version: version(), values: snapshot(form) }));
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY_MS);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
}

for (const form of document.querySelectorAll("form.app-autosave-form")) {
  setUp(form);
}

for (const signOut of document.querySelectorAll("form.app-header__sign-out")) {
  signOut.addEventListener("submit", () => {
    for (const name of Object.keys(window.localStorage)) {
      if (name.startsWith(PREFIX)) window.localStorage.removeItem(name);
    }
  });
}
