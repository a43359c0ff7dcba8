// The console's frame: sign-in, navigation and the page router. Pages are
// addressed by the URL's fragment (#/launches, #/reconciliation/<id>), so a
// reload keeps the place (and asks for the sign-in again: tokens are never
// stored).

import { currentUser, signIn, signOut, whenSessionEnds } from "./api.js";
import { alertBox, closeDialogs, field, fill, h, notice } from "./dom.js";
import * as audit from "./views/audit.js";
import * as bank from "./views/bank.js";
import * as closing from "./views/closing.js";
import * as kyc from "./views/kyc.js";
import * as launches from "./views/launches.js";
import * as ledger from "./views/ledger.js";
import * as offerings from "./views/offerings.js";
import * as reconciliation from "./views/reconciliation.js";
import * as users from "./views/users.js";

// Fragment's first segment -> page. Each page: { title, render(main, ctx) }.
const PAGES = { kyc, offerings, launches, closing, reconciliation, bank, users, audit, ledger };
const HOME = "#/launches";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");

// What the page shown now asked to be run when it is left (streams, timers).
let cleanups = [];
// Counts what was shown, so a page that fails after it was left (its session
// ended, say) does not write into whatever replaced it.
let shown = 0;

function leave() {
  shown += 1;
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  closeDialogs();
}

function showSignIn(message) {
  leave();
  nav.hidden = true;
  who.hidden = true;
  document.title = "Sign in · crowdfund operator console";
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const status = h("div", { class: "sign-in-status" }, message ? notice(message) : null);
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "sign-in", "aria-label": "Sign in" },
    h("h1", {}, "Operator sign-in"),
    field("Email", email),
    field("Password", password),
    submit,
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    fill(status, h("p", { class: "loading" }, "Signing in…"));
    try {
      await signIn(email.value.trim(), password.value);
      password.value = "";
      showConsole();
    } catch (err) {
      fill(status, alertBox(err));
      submit.disabled = false;
      password.select();
    }
  });
  fill(main, form);
  email.focus();
}

function showConsole() {
  const user = currentUser();
  nav.hidden = false;
  who.hidden = false;
  document.getElementById("who-email").textContent = user.email;
  // A new fragment routes through hashchange; the same one, from here.
  if (pageOf(place().name)) route();
  else location.hash = HOME;
}

function pageOf(name) {
  return Object.hasOwn(PAGES, name) ? PAGES[name] : null;
}

/** The page the fragment names, and its arguments (null if unreadable). */
function place() {
  try {
    const [name, ...args] = location.hash.replace(/^#\//, "").split("/").map(decodeURIComponent);
    return { name, args };
  } catch {
    return { name: null, args: [] };
  }
}

function route() {
  if (!currentUser()) return;
  const { name, args } = place();
  const page = pageOf(name);
  if (!page) {
    location.hash = HOME;
    return;
  }
  leave();
  for (const link of nav.querySelectorAll("a")) {
    const here = link.getAttribute("href") === `#/${name}`;
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${page.title} · crowdfund operator console`;
  fill(main);
  const ctx = { args, onLeave: (fn) => cleanups.push(fn) };
  const here = shown;
  Promise.resolve(page.render(main, ctx)).catch((err) => {
    if (here === shown) main.append(alertBox(err));
  });
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
document.getElementById("sign-out").addEventListener("click", async () => {
  await signOut();
  showSignIn("You are signed out.");
});
whenSessionEnds((message) => showSignIn(message));

showSignIn();
