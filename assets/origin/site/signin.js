// The sign-in page: one panel per step (#signin, #signup, #confirm, #forgot, #reset), each a form over ShowrunnerAuth.
"use strict";

const say = (text) => {
  document.getElementById("status").textContent = text;
};

function show(panel, email) {
  for (const section of document.querySelectorAll("[data-panel]")) {
    section.hidden = section.id !== panel;
  }
  if (email) {
    for (const input of document.querySelectorAll(`#${panel} input[name=email]`)) {
      input.value = email;
    }
  }
}

function on(form, action) {
  document.getElementById(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(event.target));
    say("…");
    try {
      await action(fields);
    } catch (error) {
      say(window.ShowrunnerAuth.explain(error));
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const auth = window.ShowrunnerAuth;
  const route = () => show((window.location.hash || "#signin").slice(1).replace(/[^a-z]/g, "") || "signin");
  window.addEventListener("hashchange", route);
  route();

  on("signin-form", async ({ email, password }) => {
    await auth.signIn(email, password);
    say("Signed in.");
    window.location.assign("/");
  });
  on("signup-form", async ({ email, password }) => {
    await auth.signUp(email, password);
    show("confirm", email);
    say("We sent a code to your email address: enter it to confirm the account.");
  });
  on("confirm-form", async ({ email, code }) => {
    await auth.confirm(email, code.trim());
    show("signin", email);
    say("Your account is confirmed: sign in.");
  });
  on("forgot-form", async ({ email }) => {
    await auth.forgot(email);
    show("reset", email);
    say("If the account exists, we sent it a code.");
  });
  on("reset-form", async ({ email, code, password }) => {
    await auth.reset(email, code.trim(), password);
    show("signin", email);
    say("Your password is changed: sign in.");
  });
  document.getElementById("resend").addEventListener("click", async () => {
    const email = document.querySelector("#confirm input[name=email]").value;
    try {
      await auth.resend(email);
      say("We sent a new code.");
    } catch (error) {
      say(auth.explain(error));
    }
  });
});
