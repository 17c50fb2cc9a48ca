// What the two reference servers share (server.js, and v5's server.mjs imports it too).
//
// A minimal in-memory database adapter: the email provider needs one for its verification tokens,
// and next-auth then keeps its users and accounts there. Sessions stay JWTs
// (`session: {strategy: "jwt"}`), so nothing of a session is stored.
//
// The methods next-auth@4.24.15 (core/lib/email/*, core/routes/{signin,callback}.js,
// core/lib/callback-handler.js) and @auth/core@0.41.3 (lib/actions/signin/send-token.js,
// lib/actions/callback/{index,handle-login}.js) call with a JWT session.
"use strict";

function memoryAdapter() {
  const users = new Map(); // id -> user
  const accounts = new Map(); // "provider providerAccountId" -> user id
  const tokens = new Map(); // the hashed token -> {identifier, token, expires}
  let next = 0;
  const byEmail = (email) => [...users.values()].find((user) => user.email === email) ?? null;
  return {
    async createUser(user) {
      next += 1;
      const created = { ...user, id: `user-${next}` };
      users.set(created.id, created);
      return created;
    },
    async getUser(id) {
      return users.get(id) ?? null;
    },
    async getUserByEmail(email) {
      return byEmail(email);
    },
    async getUserByAccount({ provider, providerAccountId }) {
      const id = accounts.get(`${provider} ${providerAccountId}`);
      return (id && users.get(id)) ?? null;
    },
    async updateUser(user) {
      const updated = { ...users.get(user.id), ...user };
      users.set(user.id, updated);
      return updated;
    },
    async linkAccount(account) {
      accounts.set(`${account.provider} ${account.providerAccountId}`, account.userId);
      return account;
    },
    async createVerificationToken(token) {
      tokens.set(token.token, token);
      return token;
    },
    // One use: the token is gone once asked for, whatever the caller then decides.
    async useVerificationToken({ token }) {
      const found = tokens.get(token) ?? null;
      tokens.delete(token);
      return found;
    },
  };
}

// What both reference servers configure alike: the OpenID provider's profile (name and
// email from the userinfo endpoint, as the Flask app's OIDCProvider reads them: this
// provider's ID tokens carry only `sub`), and an email provider without nodemailer whose
// link is kept, not mailed (`outbox.last`).
function userinfoProfile(issuer) {
  return async function profile(claims, tokens) {
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    const info = await (await fetch(`${issuer}/me`, { headers })).json();
    return { id: claims.sub, name: info.name, email: info.email };
  };
}

function recordingEmail(outbox) {
  return {
    id: "email",
    type: "email",
    name: "Email",
    maxAge: 24 * 60 * 60,
    async sendVerificationRequest({ url }) {
      outbox.last = url;
    },
    options: {},
  };
}

// The credentials provider's check, against USERS (JSON {username: {id, name, email,
// password, ...}}, the Flask app's users): the user without the password, or null.
function checkPassword(users) {
  return async function authorize(credentials) {
    const user = users[credentials?.username ?? ""];
    if (!user || user.password !== credentials?.password) return null;
    const { password, ...rest } = user;
    return rest;
  };
}

// The same update as the Flask app's jwt callback in the test: update({name}).
async function jwtWithNameUpdate({ token, trigger, session }) {
  if (trigger === "update" && session && typeof session.name === "string") {
    token.name = session.name;
  }
  return token;
}

module.exports = {
  memoryAdapter,
  userinfoProfile,
  recordingEmail,
  checkPassword,
  jwtWithNameUpdate,
};
