// The sign-in form: shown when nobody is signed in, or after a session ended.
import { signIn } from "./api.js";
import { byId } from "./dom.js";
import { signInFailureMessage } from "./session.js";

const el = {
  section: byId("sign-in"),
  form: byId("sign-in-form"),
  message: byId("sign-in-message"),
  username: byId("username"),
  password: byId("password"),
  button: byId("sign-in-button"),
};

// `onSignedIn(account)` is called with the account once the server takes the password.
export function setUpSignIn(onSignedIn) {
  el.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = el.username.value.trim();
    if (!username || !el.password.value) {
      el.message.textContent = "Enter your username and password.";
      return;
    }
    el.button.disabled = true;
    el.message.textContent = "";
    const result = await signIn(username, el.password.value);
    el.button.disabled = false;
    if (!result.ok) {
      el.message.textContent = signInFailureMessage(result);
      el.password.select();
      return;
    }
    el.password.value = "";
    onSignedIn(result.data);
  });
}

export function showSignIn(message = "") {
  el.message.textContent = message;
  el.password.value = "";
  el.section.hidden = false;
  (el.username.value ? el.password : el.username).focus();
}

export function hideSignIn() {
  el.section.hidden = true;
  el.message.textContent = "";
}
