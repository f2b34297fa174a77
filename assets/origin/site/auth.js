// Sign-in for the Showrunner site: the Cognito user pool through amazon-cognito-identity-js (SRP: the password
// never leaves the browser). Tokens stay in sessionStorage, never in a URL or a log. window.ShowrunnerAuth.
"use strict";

(() => {
  const C = () => window.AmazonCognitoIdentity;
  let configured = null;

  async function pool() {
    if (!configured) {
      const response = await fetch("/config.json", { headers: { Accept: "application/json" } });
      const config = response.ok ? await response.json() : {};
      if (!config.userPoolId || !config.clientId || !C()) {
        throw new Error("Sign-in is not available here.");
      }
      configured = new (C().CognitoUserPool)({
        UserPoolId: config.userPoolId,
        ClientId: config.clientId,
        Storage: window.sessionStorage,
      });
    }
    return configured;
  }

  async function user(email) {
    return new (C().CognitoUser)({ Username: email, Pool: await pool(), Storage: window.sessionStorage });
  }

  const promised = (run) =>
    new Promise((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));

  async function signIn(email, password) {
    const viewer = await user(email);
    const details = new (C().AuthenticationDetails)({ Username: email, Password: password });
    return new Promise((resolve, reject) =>
      viewer.authenticateUser(details, {
        onSuccess: resolve,
        onFailure: reject,
        newPasswordRequired: () => reject(new Error("Choose a new password: use Forgot your password.")),
        totpRequired: () => reject(new Error("This account asks for an authenticator code, which this page cannot take yet.")),
        mfaRequired: () => reject(new Error("This account asks for a code, which this page cannot take yet.")),
      }),
    );
  }

  async function signUp(email, password) {
    const email_ = new (C().CognitoUserAttribute)({ Name: "email", Value: email });
    const p = await pool();
    return promised((done) => p.signUp(email, password, [email_], null, done));
  }

  async function confirm(email, code) {
    const viewer = await user(email);
    return promised((done) => viewer.confirmRegistration(code, true, done));
  }

  async function resend(email) {
    const viewer = await user(email);
    return promised((done) => viewer.resendConfirmationCode(done));
  }

  async function forgot(email) {
    const viewer = await user(email);
    return new Promise((resolve, reject) =>
      viewer.forgotPassword({ onSuccess: resolve, onFailure: reject, inputVerificationCode: resolve }),
    );
  }

  async function reset(email, code, password) {
    const viewer = await user(email);
    return new Promise((resolve, reject) =>
      viewer.confirmPassword(code, password, { onSuccess: resolve, onFailure: reject }),
    );
  }

  // The signed-in viewer's session (refreshed with the refresh token when the access token has expired), or null.
  async function session() {
    let current;
    try {
      current = (await pool()).getCurrentUser();
    } catch {
      return null;
    }
    if (!current) {
      return null;
    }
    try {
      const found = await promised((done) => current.getSession(done));
      return found && found.isValid() ? { user: current, session: found } : null;
    } catch {
      return null;
    }
  }

  async function accessToken() {
    const found = await session();
    return found ? found.session.getAccessToken().getJwtToken() : null;
  }

  async function email() {
    const found = await session();
    return found ? found.session.getIdToken().payload.email || "" : null;
  }

  // Signs the viewer out everywhere (Cognito revokes the refresh tokens), and forgets the tokens here in any case.
  async function signOut() {
    const found = await session();
    if (found) {
      await new Promise((resolve) => found.user.globalSignOut({ onSuccess: resolve, onFailure: resolve }));
      found.user.signOut();
    }
    window.sessionStorage.clear();
  }

  // Cognito's error in words, without echoing anything the viewer typed.
  function explain(error) {
    const known = {
      NotAuthorizedException: "Incorrect email or password.",
      UserNotFoundException: "Incorrect email or password.",
      UserNotConfirmedException: "Confirm your email address first: enter the code we sent you.",
      UsernameExistsException: "An account with this email already exists.",
      InvalidPasswordException: "The password needs at least 12 characters, with upper and lower case, a digit and a symbol.",
      CodeMismatchException: "That code is not right.",
      ExpiredCodeException: "That code has expired: ask for a new one.",
      LimitExceededException: "Too many attempts: wait a while and try again.",
      InvalidParameterException: "Check the email address and the password.",
    };
    return known[error && error.code] || (error && error.message) || "Something went wrong.";
  }

  window.ShowrunnerAuth = { signIn, signUp, confirm, resend, forgot, reset, accessToken, email, signOut, explain };
})();
